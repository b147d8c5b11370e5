#!/usr/bin/env bash
# Reproduce src/gelsencloud/web/static/vendor/ from the npm registry with pinned versions.
# Only built browser bundles and licence files are copied; no Node build step is needed at run time.
# Usage: tools/vendor_js.sh   (needs npm, tar, openssl; run from anywhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/src/gelsencloud/web/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name version sha512-integrity (npm "dist.integrity"); checked so a re-run yields identical bytes.
PACKAGES=(
  "leaflet 1.9.4 nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
  "vega 6.4.0 rHXCq2LpEWCLMjXBEj7hocY9G0/i5TGYRayGGSj06VTF4+l2IG2Z7oeZKCjWbUh/7hTE/mVhbaOPB72wCElh6g=="
  "vega-lite 6.5.0 fMXF6s0MrIg0UTWnLIfeFtgSLzVhyzSKobzGrh5rhS+mL6FOYFG3m7ouJ4U23gj65EK+gl9FIIT5w7wLNaAzkA=="
  "vega-embed 7.3.0 wQ8s5GaSzqoKgmRfbRolgBrjE2CP7ZKHXqH7NijxMqPjpdWxSs4Dn8tvp9g0giQvh2cK+3p56sxjWWM0wNngGw=="
  "axe-core 4.14.1 FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

fetch() {
  local name="$1" version="$2" integrity="$3"
  (cd "$WORK" && npm pack --silent "$name@$version" >/dev/null)
  local tgz="$WORK/$name-$version.tgz"
  local actual
  actual="$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $name@$version" >&2
    exit 1
  fi
  mkdir -p "$WORK/$name"
  tar xzf "$tgz" -C "$WORK/$name"
}

for entry in "${PACKAGES[@]}"; do
  # shellcheck disable=SC2086
  fetch $entry
done

rm -rf "$VENDOR/leaflet" "$VENDOR/vega" "$VENDOR/vega-lite" "$VENDOR/vega-embed" "$VENDOR/axe-core"
mkdir -p "$VENDOR"/{leaflet/images,vega,vega-lite,vega-embed,axe-core}

P="$WORK/leaflet/package"
cp "$P/dist/leaflet.js" "$P/dist/leaflet.css" "$P/LICENSE" "$VENDOR/leaflet/"
cp "$P"/dist/images/*.png "$VENDOR/leaflet/images/"

cp "$WORK/vega/package/build/vega.min.js" "$WORK/vega/package/LICENSE" "$VENDOR/vega/"
cp "$WORK/vega-lite/package/build/vega-lite.min.js" "$WORK/vega-lite/package/LICENSE" "$VENDOR/vega-lite/"
cp "$WORK/vega-embed/package/build/vega-embed.min.js" "$WORK/vega-embed/package/LICENSE" "$VENDOR/vega-embed/"

P="$WORK/axe-core/package"
cp "$P/axe.min.js" "$P/LICENSE" "$P/LICENSE-3RD-PARTY.txt" "$VENDOR/axe-core/"

# Bundles end with sourceMappingURL comments pointing at maps we do not ship; browsers only warn.
du -sh "$VENDOR"
