"""The deploy wing: registry baselines -> validated CloudFormation parameter files (get_baselines_and_configs.py)."""
