#!/usr/bin/env bash
# Build the one-folder application with PyInstaller, then smoke-test it: version, a new database created
# through the migrations, the demo depot, and the window started offscreen for a moment.
# Usage: installer/build.sh   (output: dist/armoury-VERSION/)
set -euo pipefail
cd "$(dirname "$0")/.."
./dev setup >/dev/null
.venv/bin/python -m pip install -q -e ".[installer]"
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    installer/armoury.spec
app=$(ls -d dist/armoury-*/ | tail -n 1)
exe="$app/armoury"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ARMOURY_DATA_DIR="$tmp/data"
"$exe" --version
"$exe" --db "$tmp/smoke.sqlite3" init
"$exe" --db "$tmp/smoke.sqlite3" --lang fr init | grep -q "à jour"
if "$exe" --help | grep -q " demo "; then
    "$exe" --db "$tmp/demo.sqlite3" demo --seed 1 >/dev/null
fi
QT_QPA_PLATFORM=offscreen ARMOURY_SMOKE_TEST=1 timeout 60 "$exe" --db "$tmp/smoke.sqlite3" gui
echo "smoke test passed: $app"
