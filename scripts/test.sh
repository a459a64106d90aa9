#!/usr/bin/env bash
# Runs every test: the Rust unit tests, then pytest against a release build of the package.
# The release build is shared: cargo test reuses the optimised dependencies of the wheel build.
set -euo pipefail
cd "$(dirname "$0")/.."
pip install --no-build-isolation -q . 
cargo test --release --workspace --exclude rheobase-py
python -m pytest -q tests
