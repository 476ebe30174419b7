"""The watchdog wing: pages for failed, missing and unwatched Model Monitor executions (issue 18 section 4)."""
