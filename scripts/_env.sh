# Sourced by scripts/demo and scripts/test: make .venv with consulate and its
# test tools installed, and CONSUL_BIN pointing at a Consul binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    echo "python3 -m venv failed; installing Debian's python3-venv" >&2
    rm -rf .venv
    apt-get install -y -q python3-venv >&2 || { echo "run: apt-get install python3-venv" >&2; exit 1; }
    python3 -m venv .venv
  fi
fi
# Reinstall only when the package's requirements changed.
stamp=.venv/.consulate-installed
want=$(sha1sum setup.py pyproject.toml | sha1sum | cut -c1-40)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[test]' >&2
  echo "$want" > "$stamp"
fi
CONSUL_BIN=$(bash scripts/install-consul.sh)
export CONSUL_BIN
export PATH="$PWD/.venv/bin:$PATH"
