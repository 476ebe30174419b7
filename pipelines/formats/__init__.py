"""Data formats shared by every tool: times and windows, capture records, ground truth."""
