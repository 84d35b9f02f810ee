# Shared by scripts/dev and scripts/test (sourced, not run): finds Python 3.12+, installs uv, syncs the venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() { echo "error: $*" >&2; exit 1; }

find_python() {
  local root candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    candidates+=("$root"/versions/3.1[2-9]*/bin/python3)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 python3.13 python3.12 python3)
  for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || fail "Timetracker needs Python 3.12 or newer (Django 6.1 does not run on older ones).
Install one (for example with pyenv: pyenv install 3.12) and run this again."
echo "Using $("$PYTHON" --version) at $PYTHON"

if [ ! -x .tools/bin/uv ]; then
  echo "Installing uv into .tools/ ..."
  "$PYTHON" -m venv .tools || fail "could not create a virtual environment with $PYTHON (is the venv module installed?)"
  .tools/bin/pip install --quiet --disable-pip-version-check uv || fail "could not install uv from PyPI"
fi

# --locked: the run fails if pyproject.toml and uv.lock disagree instead of silently re-resolving.
.tools/bin/uv sync --locked --quiet --python "$PYTHON" --python-preference only-system ||
  fail "uv sync failed; if you changed pyproject.toml, run .tools/bin/uv lock and commit uv.lock"
export PATH="$PWD/.venv/bin:$PATH"
