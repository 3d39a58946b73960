#!/usr/bin/env bash
# Build the one-folder bundle on Linux and prove the frozen program works: start the window offscreen, create the
# demo database (SQLite + Alembic migrations + demo catalog), check a unit (JSON Schema, rules), sign and export a
# PDF and an Excel file (the bundled font, pyHanko, openpyxl), and verify them. Everything user-specific lives in a
# temporary folder. Exits non-zero on the first failure.
#
#   bash build/smoke.sh            # build, then run the checks
#   SKIP_BUILD=1 bash build/smoke.sh   # run the checks on the existing pyi-dist/Tianbao
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SKIP_BUILD:-}" ]; then
  make bundle
fi
exe="$PWD/pyi-dist/Tianbao/Tianbao"
test -x "$exe" || { echo "no bundle at $exe" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export TIANBAO_DB="$tmp/demo.db"
unset TIANBAO_KEYS TIANBAO_PASSPHRASE

step() { printf '\n== %s\n' "$*"; }

step "version"
"$exe" --version

step "first start: an empty database and the first-run wizard, no demo figures (--smoke closes the wizard)"
"$exe" --smoke
test -f "$TIANBAO_DB"
if "$exe" check --unit 520103 --period 2023Q2 >/dev/null 2>&1; then
  echo "the installed program's first start filled the database with demo data" >&2; exit 1
fi

step "window on the demo database (--smoke)"
"$exe" demo
start=$EPOCHREALTIME
"$exe" --smoke
awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "start to window and back: %.2f s\n", b - a }'
test -f "$TIANBAO_DB"
log="$XDG_DATA_HOME/Tianbao/logs/tianbao.log"
test -f "$log" || { echo "no log file at $log" >&2; exit 1; }
# Qt's own dialog texts (确定, 取消, the print dialog) come from the bundled qtbase_zh_CN.qm.
if grep -q "qtbase_zh_CN" "$log"; then grep "qtbase_zh_CN" "$log" >&2; exit 1; fi

step "second start on the same database hands over to the first (QtNetwork local socket)"
starts() { grep -c "start .* on $TIANBAO_DB" "$log" || true; }
before=$(starts)
"$exe" &
first=$!
for _ in $(seq 1 300); do [ "$(starts)" -gt "$before" ] && break; kill -0 "$first" || exit 1; sleep 0.1; done
[ "$(starts)" -gt "$before" ] || { echo "the first program did not start" >&2; kill "$first"; exit 1; }
timeout 60 "$exe"
[ "$(starts)" -eq $((before + 1)) ] || { echo "the second start opened the database too" >&2; kill "$first"; exit 1; }
for _ in $(seq 1 100); do grep -q "coming forward" "$log" && break; sleep 0.1; done
kill "$first"; wait "$first" || true
grep -q "coming forward" "$log" || { echo "the first program was not asked to come forward" >&2; exit 1; }
echo "second start handed over and exited"

step "demo database (--db)"
"$exe" --db "$tmp/demo2.db" demo

step "check --json"
"$exe" --db "$tmp/demo2.db" check --unit 520100 --period 2023Q2 --json > "$tmp/check.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["indicators"], d; print(len(d["indicators"]), "indicators;", d["counts"])' "$tmp/check.json"

step "sign and export (font, pyHanko, openpyxl)"
export TIANBAO_PASSPHRASE=tianbao-demo
"$exe" --db "$tmp/demo2.db" sign --unit 520103 --period 2023Q2
"$exe" --db "$tmp/demo2.db" export --unit 520103 --period 2023Q2 --pdf "$tmp/out.pdf" --xlsx "$tmp/out.xlsx"
ls -l "$tmp/out.pdf" "$tmp/out.xlsx"
head -c 5 "$tmp/out.pdf" | grep -q '%PDF-'
if command -v pdffonts >/dev/null; then pdffonts "$tmp/out.pdf"; fi

step "verify"
"$exe" --db "$tmp/demo2.db" verify "$tmp/out.pdf" "$tmp/out.xlsx"

step "intake service from the bundle: serve (its verification processes are the frozen program too), upload"
printf 'tianbao-demo\n' > "$tmp/ca.pass"
printf 'intake-server-secret\n' > "$tmp/server.pass"
"$exe" --db "$tmp/demo2.db" keys server-cert --host 127.0.0.1 --out "$tmp/server-keys" \
  --passphrase-file "$tmp/ca.pass" --server-passphrase-file "$tmp/server.pass"
# The city's database: a copy of the district's, so the upload is stored as the revision it already holds.
cp "$tmp/demo2.db" "$tmp/city.db"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$exe" --db "$tmp/city.db" --keys "$tmp/server-keys" serve --host 127.0.0.1 --port "$port" \
  --passphrase-file "$tmp/server.pass" 2> "$tmp/serve.log" &
server=$!
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
  "http://127.0.0.1:$port/api/v1/health" 2>/dev/null; }
for _ in $(seq 1 300); do healthy && break; kill -0 "$server" || break; sleep 0.1; done
healthy || { cat "$tmp/serve.log" >&2; kill "$server" || true; echo "the bundled serve did not start" >&2; exit 1; }
"$exe" --db "$tmp/demo2.db" upload --server "http://127.0.0.1:$port" || { cat "$tmp/serve.log" >&2; kill "$server"; exit 1; }
kill "$server"; wait "$server" || true
grep -q "POST /api/v1/submissions 201" "$tmp/serve.log" || { cat "$tmp/serve.log" >&2; exit 1; }
echo "uploaded and receipted by the bundled service"

step "print preview library (pypdfium2 renders the PDF's own pages for printing)"
find pyi-dist/Tianbao/_internal -name 'libpdfium*' | grep -q . || { echo "libpdfium missing from the bundle" >&2; exit 1; }
echo "libpdfium bundled"

step "user guide (帮助 → 用户手册, F1): the Markdown file and every picture it names"
guide="pyi-dist/Tianbao/_internal/docs/用户手册.md"
test -f "$guide" || { echo "the user guide is missing from the bundle: $guide" >&2; exit 1; }
grep -o '!\[[^]]*\]([^)]*)' "$guide" | sed 's/.*(\(.*\))/\1/' | while read -r picture; do
  test -f "pyi-dist/Tianbao/_internal/docs/$picture" || { echo "the guide's picture is missing: $picture" >&2; exit 1; }
done
echo "guide and $(grep -c '!\[' "$guide") pictures bundled"

step "size"
du -sh pyi-dist/Tianbao
echo
echo "bundle smoke: OK"
