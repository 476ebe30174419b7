"""Model Monitor's file formats and times, shared by every tool: ISO-8601 and hour folders, capture records and the
join key, ground-truth records, baseline document kinds. Imports only pipelines.core."""
