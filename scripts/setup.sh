# Sourced by scripts/demo and scripts/test: a virtualenv with the project installed.
# Re-running is cheap: packages are reinstalled only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

setup_python() {  # $1: the extras to install, e.g. "" or "[dev]"
  local extras="${1:-}"
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
  fi
  local stamp=".venv/.installed$extras-$(sha1sum pyproject.toml | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".$extras"
    touch "$stamp"
  fi
}

setup_chromium() {  # Debian's chromium for Playwright (browser downloads are not possible)
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return; fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

setup_vnu() {  # the Nu HTML checker (npm vnu-jar, runs on Java) for the HTML validity test
  if [ -f .tools/node_modules/vnu-jar/build/dist/vnu.jar ] || ! command -v npm >/dev/null; then
    return
  fi
  npm install --silent --no-audit --no-fund --prefix .tools vnu-jar@26.9.27 >/dev/null
}

setup_fonts() {  # the PDF receipt's fonts (services/documents/receipt_pdf.py): Debian packages
  local want=()
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(fonts-dejavu-core)
  [ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || want+=(fonts-droid-fallback)
  [ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ] || want+=(fonts-nanum)
  [ ${#want[@]} -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${want[@]}" >/dev/null
}
