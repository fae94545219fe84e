#!/usr/bin/env bash
# Kept for old instructions: same as `python3 evals/scripts/fetch_model.py [NAME]` (`make model NAME=...`).
exec python3 "$(dirname "$0")/fetch_model.py" "$@"
