"""Evaluation of the stages that decide quality: extraction and summaries."""
