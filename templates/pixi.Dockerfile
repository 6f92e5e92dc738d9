# Bundled pixi template of conda-image-action (used when the environment is a pixi project
# — `environment-file` names pixi.toml, a pyproject.toml with [tool.pixi], or pixi.lock —
# and `base-dockerfile` is empty). The pixi counterpart of templates/base.Dockerfile: the
# parts they share (secrets, CONDA_OVERRIDE_*, IMAGE_USER, KEEP_PYCACHE, the activation
# entrypoint, the size manifest in the last layer) are written the same way.
#
# Built with the builder's own Dockerfile frontend: there is deliberately no `# syntax=`
# line, so no frontend image is pulled (air-gapped runners, registry mirrors, rate limits).
#
# As pixi's container documentation shows: the project is copied to /app in a build stage
# from the pixi image, `pixi install --locked -e <env>` installs the environment into
# /app/.pixi/envs/<env>, and only that directory goes into the runtime stage, at the same
# path (a conda environment is not relocatable: its files carry their prefix).
#
# Build context: exactly the files the environment hash covers (the manifest, pixi.lock,
# path sources the environment installs), at their paths relative to one another; the
# action assembles it. Build args:
#   MANIFEST           path of the manifest (pixi.toml or pyproject.toml) inside the context
#                      (set by the action)
#   PIXI_PROJECT_DIR   the project directory in the image: /app, or /app/<dir> when the
#                      manifest is in <dir> of the context (set by the action)
#   PIXI_ENVIRONMENT   the pixi environment to install (the `pixi-environment` input)
#   PIXI_IMAGE         the build stage image: pixi's own image (a mirror of it works)
#   RUNTIME_IMAGE      the runtime stage image: anything with a libc; a shell is needed only
#                      for the activation entrypoint (see ACTIVATION_SHELL)
#   IMAGE_USER         uid:gid that owns the environment and runs the image (numeric, no
#                      account needed); 0:0 runs as root
#   PACKAGE_LAYERS     how many layers the conda packages are shipped in, 1 … 100 (default 40;
#                      the package layers of templates/base.Dockerfile, the same script); the
#                      image has PACKAGE_LAYERS + 3 layers on top of the runtime image's
#   KEEP_PYCACHE       true (default) keeps the compiled __pycache__ of the environment
#   ACTIVATION_SHELL   interpreter of the activation entrypoint (default /bin/sh: pixi's
#                      `shell-hook -s bash` output is plain `export`/`.` lines); with a
#                      shell-less (distroless) runtime, add `bash` to the environment and
#                      pass <prefix>/bin/bash
#   ENV_HASH           the environment hash (set by the action; see the install step)
#   CONDA_OVERRIDE_CUDA, CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_OSX, CONDA_OVERRIDE_ARCHSPEC
#                      virtual packages pixi checks the lock against (e.g. CUDA 12.4 on a
#                      CPU runner); set for the install only when non-empty
# BuildKit secrets, all optional and never written to the image:
#   pixi_auth    pixi's authentication file (RATTLER_AUTH_FILE: `pixi auth login` credentials)
#   pixi_config  a pixi configuration file (PIXI_CONFIG_FILE: mirrors, pypi-config)
#   netrc        a .netrc for private channels and indexes
ARG PIXI_IMAGE=ghcr.io/prefix-dev/pixi:0.77.0
ARG RUNTIME_IMAGE=debian:13-slim
ARG IMAGE_USER=57439:57439
ARG PACKAGE_LAYERS=40

FROM ${PIXI_IMAGE} AS solve
USER 0:0
SHELL ["/bin/sh", "-c"]
COPY . /app/
ARG MANIFEST=pixi.toml
ARG PIXI_PROJECT_DIR=/app
ARG PIXI_ENVIRONMENT=default
ARG CONDA_OVERRIDE_CUDA=
ARG CONDA_OVERRIDE_GLIBC=
ARG CONDA_OVERRIDE_OSX=
ARG CONDA_OVERRIDE_ARCHSPEC=
# The environment hash (the action passes it): part of this step's cache key, so what the
# hash covers outside the build context re-installs when it changes.
ARG ENV_HASH=
# Install from the lock (never re-solve: --locked fails when pixi.lock is not up to date
# with the manifest), write the activation script, then remove everything that is not the
# environment — in one step, so no layer of this stage holds a package cache. The
# activation script is pixi's `shell-hook`, made in a clean environment (no build-stage
# variables to save and restore); activation scripts it sources from outside the
# environment (the manifest's [activation] scripts) are kept at their paths in /tmp/keep.
RUN --mount=type=secret,id=pixi_auth,required=false \
    --mount=type=secret,id=pixi_config,required=false \
    --mount=type=secret,id=netrc,required=false \
    <<'EOF'
set -eu
for v in CUDA GLIBC OSX ARCHSPEC; do
  eval "val=\${CONDA_OVERRIDE_$v:-}"
  if [ -n "$val" ]; then export "CONDA_OVERRIDE_$v"; else unset "CONDA_OVERRIDE_$v"; fi
done
if [ -r /run/secrets/pixi_auth ]; then export RATTLER_AUTH_FILE=/run/secrets/pixi_auth; fi
if [ -r /run/secrets/pixi_config ]; then export PIXI_CONFIG_FILE=/run/secrets/pixi_config; fi
if [ -r /run/secrets/netrc ]; then export NETRC=/run/secrets/netrc; ln -sf /run/secrets/netrc "$HOME/.netrc" 2>/dev/null || true; fi
export PIXI_CACHE_DIR=/tmp/pixi-cache UV_CACHE_DIR=/tmp/uv-cache
manifest="/app/$MANIFEST"
prefix="$PIXI_PROJECT_DIR/.pixi/envs/$PIXI_ENVIRONMENT"
if [ "$(cd "$(dirname "$manifest")" && pwd -P)" != "$PIXI_PROJECT_DIR" ]; then
  echo "PIXI_PROJECT_DIR ($PIXI_PROJECT_DIR) is not the directory of MANIFEST ($manifest)" >&2; exit 1
fi
pixi install --locked --manifest-path "$manifest" -e "$PIXI_ENVIRONMENT"
if [ ! -d "$prefix/conda-meta" ]; then
  echo "pixi did not install the environment at $prefix (a detached-environments setting?)" >&2; exit 1
fi
mkdir -p /tmp/keep
env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin ${RATTLER_AUTH_FILE:+RATTLER_AUTH_FILE="$RATTLER_AUTH_FILE"} \
  ${PIXI_CONFIG_FILE:+PIXI_CONFIG_FILE="$PIXI_CONFIG_FILE"} ${NETRC:+NETRC="$NETRC"} \
  pixi shell-hook --locked --manifest-path "$manifest" -e "$PIXI_ENVIRONMENT" -s bash --change-ps1 false > /tmp/keep/shell-hook.sh
sed -n "s/^\. '\{0,1\}\([^']*\)'\{0,1\}\$/\1/p" /tmp/keep/shell-hook.sh | while IFS= read -r script; do
  case "$script" in
    "$prefix"/*) ;;
    /*) [ ! -f "$script" ] || { mkdir -p "/tmp/keep/files$(dirname "$script")"; cp -p "$script" "/tmp/keep/files$script"; } ;;
  esac
done
mkdir -p /tmp/keep/files
rm -rf /tmp/pixi-cache /tmp/uv-cache "$HOME/.cache" "$HOME/.netrc" "$PIXI_PROJECT_DIR/.pixi/solve-group-envs"
EOF

# The runtime helpers and the size manifest, made where a shell exists (the runtime image
# may have none). The entrypoint runs pixi's activation (PATH, CONDA_PREFIX, the
# environment's etc/conda/activate.d scripts, the manifest's [activation] variables and
# scripts), then the command.
ARG KEEP_PYCACHE=true
ARG ACTIVATION_SHELL=/bin/sh
RUN <<'EOF'
set -eu
prefix="$PIXI_PROJECT_DIR/.pixi/envs/$PIXI_ENVIRONMENT"
case "$KEEP_PYCACHE" in
  true) ;;
  false) find "$prefix" -name __pycache__ -type d -prune -exec rm -rf {} + ;;
  *) echo "KEEP_PYCACHE must be true or false, not '$KEEP_PYCACHE'" >&2; exit 1 ;;
esac
d=/tmp/keep/entry
mkdir -p "$d" /tmp/home /tmp/sizes
{
  printf '#!%s\n' "$ACTIVATION_SHELL"
  printf '# conda-image-action: the activation of `pixi shell-hook -e %s`, then the command.\n' "$PIXI_ENVIRONMENT"
  cat /tmp/keep/shell-hook.sh
  printf '[ "$#" -gt 0 ] || set -- "%s"\nexec "$@"\n' "$ACTIVATION_SHELL"
} > "$d/entrypoint"
chmod 0755 "$d/entrypoint"
cia_prefix=$prefix
# >>> SBOM and lock: sbom.cdx.json, explicit.txt, requirements.lock.txt; the size manifest sizes.json >>>
# Written here, where the records are (the image has no Node): one component per conda-meta
# record (purl pkg:conda/…, hashes, licence) and per pip-installed *.dist-info (pkg:pypi/…);
# the @EXPLICIT lock of the conda part; the pinned pip part. Deterministic (no timestamp, no
# serial number), so a rebuild of the same environment keeps its digest. A record that is
# not what conda/micromamba write is left out (or its bad field is) and named in the SBOM's
# metadata properties (conda-image-action:left-out), which the action reports in one warning.
: "${cia_prefix:=/opt/conda}" "${cia_out:=/tmp/sizes}"
mkdir -p "$cia_out"
: > /tmp/cia-pip.tsv
grep -h -o '"lib/python[^"]*\.dist-info/METADATA"' "$cia_prefix"/conda-meta/*.json 2>/dev/null | tr -d '"' > /tmp/cia-owned.txt || true
for m in "$cia_prefix"/lib/python*/site-packages/*.dist-info/METADATA; do
  [ -f "$m" ] || continue
  rel=${m#"$cia_prefix"/}
  grep -Fxq "$rel" /tmp/cia-owned.txt && continue
  d=$(dirname "$m")
  h=$(cat "$d/direct_url.json" 2>/dev/null | grep -o 'sha256[=": ]*[0-9a-f]*' | head -n 1 | sed 's/^sha256[=": ]*//') || true
  # Its size: the bytes RECORD lists (pip lists no size for what it compiles later, *.pyc); none without a RECORD.
  s=$(LC_ALL=C awk -F, '{ sub(/\r$/, "") } NF > 1 && $NF ~ /^[0-9]+$/ && length($NF) <= 15 { s += $NF; n++ } END { if (n) printf "%.0f", s }' "$d/RECORD" 2>/dev/null) || s=
  awk -v h="$h" -v s="$s" -v f="$rel" 'BEGIN { FS = ": " } /^\r?$/ { exit } /^Name: / && n == "" { n = substr($0, 7) } /^Version: / && v == "" { v = substr($0, 10) }
    END { gsub(/[\t\r]/, " ", n); gsub(/[\t\r]/, " ", v); gsub(/[\t\r]/, " ", f); printf "%s\t%s\t%s\t%s\t%s\n", n, v, h, s, f }' "$m" >> /tmp/cia-pip.tsv
done
set -- "$cia_prefix"/conda-meta/*.json
[ -e "$1" ] || set --
LC_ALL=C awk -v out="$cia_out" -v envhash="${ENV_HASH:-}" -v pipfile=/tmp/cia-pip.tsv '
function hexbyte(c) { return sprintf("%%%02X", ord[c]) }
function enc(s, keep,   r, i, c) { r = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); r = r (index(keep, c) ? c : hexbyte(c)) } return r }
function encname(s) { return enc(s, ALNUM "-_.!~*\047()") }
function encversion(s) { return enc(s, ALNUM "-_.!~*\047():+") }
function encqual(s,   r) { r = enc(s, ALNUM "*-._ "); gsub(/ /, "%20", r); return r }
function jesc(s,   r, i, c) { r = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "\\" || c == "\"") r = r "\\" c; else if (ord[c] < 32 || ord[c] == 127) r = r sprintf("\\u%04x", ord[c]); else r = r c } return r }
function ishex(s, n) { return length(s) == n && s !~ /[^0-9a-f]/ }
function jstring(v) { return v ~ /^"([^"\\]|\\["\\\/bfnrt]|\\u[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F])*"$/ }
function note(file, why) { notes = notes (notes == "" ? "" : ",") "{\"name\":\"conda-image-action:left-out\",\"value\":\"" jesc(file) ": " jesc(why) "\"}" }
function clean(u) { sub(/:\/\/[^\/@]*@/, "://", u); gsub(/\/t\/[^\/]*\//, "/", u); sub(/\/+$/, "", u); return u }
function plain(key,   v) {
  v = F[key]; if (v == "") return ""
  if (length(v) > 514 || !jstring(v)) { bad = bad " " key; return "" }
  v = substr(v, 2, length(v) - 2); gsub(/\\\//, "/", v)
  gsub(/^[ \t]+|[ \t]+$/, "", v)
  if (index(v, "\\") || v ~ /[^ -~]/) { bad = bad " " key; return "" }
  return v
}
function qual(key, v) { if (index(v, "%")) { bad = bad " " key; return "" } return v }  # a % in a qualifier does not round-trip through purl parsers
function component(ref, name, version, extra) {
  if (ref in seen) return 0
  seen[ref] = 1
  comps = comps (comps == "" ? "" : ",\n    ") "{\"type\":\"library\",\"bom-ref\":\"" jesc(ref) "\",\"name\":\"" jesc(name) "\",\"version\":\"" jesc(version) "\",\"purl\":\"" jesc(ref) "\"" extra "}"
  return 1
}
function record(file,   base, name, version, build, channel, subdir, url, md5, sha, lic, purl, extra, h, line) {
  base = file; sub(/.*\//, "", base)
  if (F["name"] == "" && F["version"] == "") { note(base, "not a conda-meta record as conda and micromamba write it (no top-level name and version)"); return }
  bad = ""
  name = plain("name"); version = plain("version"); build = qual("build", plain("build")); subdir = qual("subdir", plain("subdir"))
  channel = qual("channel", clean(plain("channel"))); url = clean(plain("url")); md5 = plain("md5"); sha = plain("sha256")
  if (name == "" || version == "") { note(base, "its name or version is missing or not a plain string" bad); return }
  if (subdir == "" && url ~ /\/[^\/]+\/[^\/]+$/) { subdir = url; sub(/\/[^\/]+$/, "", subdir); sub(/.*\//, "", subdir) }
  sub(/^https:\/\/conda\.anaconda\.org\//, "", channel)
  purl = "pkg:conda/" encname(name) "@" encversion(version)
  q = ""
  if (build != "") q = q "&build=" encqual(build)
  if (channel != "") q = q "&channel=" encqual(channel)
  if (subdir != "") q = q "&subdir=" encqual(subdir)
  if (q != "") purl = purl "?" substr(q, 2)
  h = ""
  if (md5 != "") { if (ishex(md5, 32)) h = h ",{\"alg\":\"MD5\",\"content\":\"" md5 "\"}"; else bad = bad " md5" }
  if (sha != "") { if (ishex(sha, 64)) h = h ",{\"alg\":\"SHA-256\",\"content\":\"" sha "\"}"; else { bad = bad " sha256"; sha = "" } }
  extra = h == "" ? "" : ",\"hashes\":[" substr(h, 2) "]"
  lic = F["license"]
  if (lic != "") { if (length(lic) <= 1026 && jstring(lic) && lic != "\"\"") extra = extra ",\"licenses\":[{\"license\":{\"name\":" lic "}}]"; else bad = bad " license" }
  if (url !~ /^(https?|file):\/\/[^ "#?\\]+(\.conda|\.tar\.bz2)$/) { if (url != "" || F["url"] != "") bad = bad " url"; url = "" }
  if (url != "") extra = extra ",\"externalReferences\":[{\"type\":\"distribution\",\"url\":\"" url "\"}]"
  if (!component(purl, name, version, extra)) { note(base, "a second record of " purl); return }
  if (url == "") { note(base, "left out of explicit.txt: no usable url" (bad == "" ? "" : " (not plain or too long:" bad ")")); return }
  line = url (ishex(sha, 64) ? "#sha256:" sha : ishex(md5, 32) ? "#" md5 : "")
  lock = lock line "\n"
  if (platform == "" && subdir != "noarch") platform = subdir
  if (bad != "") note(base, "fields left out (not plain or too long):" bad)
}
BEGIN { ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"; for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
FNR == 1 { if (prev != "") record(prev); prev = FILENAME; ind = "-"; split("", F) }
ind == "-" && /^[ \t]*"/ { ind = $0; sub(/".*/, "", ind) }
ind != "-" && substr($0, 1, length(ind) + 1) == ind "\"" {
  k = substr($0, length(ind) + 2); sub(/".*/, "", k)
  v = substr($0, length(ind) + length(k) + 3); sub(/^[ \t]*:[ \t]*/, "", v); sub(/[ \t]*,?[ \t\r]*$/, "", v)
  if (!(k in F)) F[k] = v
}
END {
  if (prev != "") record(prev)
  req = ""
  while ((getline l < pipfile) > 0) {
    n = l; sub(/\t.*/, "", n); r = substr(l, length(n) + 2); v = r; sub(/\t.*/, "", v); r = substr(r, length(v) + 2); h = r; sub(/\t.*/, "", h); r = substr(r, length(h) + 2); s = r; sub(/\t.*/, "", s); f = substr(r, length(s) + 2)
    if (n == "" || v == "" || length(n) > 256 || length(v) > 256) { note(f, "a pip distribution without a usable Name and Version"); continue }
    pn = tolower(n); gsub(/_/, "-", pn)
    if (!component("pkg:pypi/" encname(pn) "@" encversion(v), n, v, ishex(h, 64) ? ",\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"" h "\"}]" : "")) continue
    req = req n "==" v (ishex(h, 64) ? " --hash=sha256:" h : "") "\n"
    pip = pip (pip == "" ? "" : ",") "{\"name\":\"" jesc(n) "\",\"version\":\"" jesc(v) "\"" (s ~ /^[0-9]+$/ ? ",\"size\":" s : "") "}"
  }
  meta = "\"metadata\":{\"tools\":{\"components\":[{\"type\":\"application\",\"name\":\"conda-image-action base template\"}]},\"component\":{\"type\":\"container\",\"bom-ref\":\"conda-image-action-base\",\"name\":\"conda-image-action-base\"" (envhash ~ /^[0-9a-f]+$/ ? ",\"version\":\"" envhash "\"" : "") "}" (notes == "" ? "" : ",\"properties\":[" notes "]") "}"
  printf "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\n  %s,\n  \"components\":[%s%s%s]}\n", meta, comps == "" ? "" : "\n    ", comps, comps == "" ? "" : "\n  " > (out "/sbom.cdx.json")
  printf "# The conda part of this environment: micromamba create -n NAME -f explicit.txt\n# platform: %s\n@EXPLICIT\n%s", platform == "" ? "noarch" : platform, lock > (out "/explicit.txt")
  printf "# The pip part of this environment, pinned. --hash only where pip recorded the archive hash\n# (direct_url.json): an installed distribution keeps no hash of its wheel otherwise.\n%s", req > (out "/requirements.lock.txt")
  printf "[%s]", pip > "/tmp/cia-pip.json"
}' "$@" < /dev/null
# Size manifest: one record per conda package, installed bytes summed from its conda-meta
# record (paths_data), or the record's `size` when it has no paths_data; and under "pip" the
# pip-installed distributions of the SBOM (name and version from METADATA, size from RECORD).
{
  printf '{"version":1,"prefix":"%s","packages":[' "$cia_prefix"
  sep=
  for f in "$cia_prefix"/conda-meta/*.json; do
    [ -e "$f" ] || continue
    nvb=$(basename "$f" .json)
    # A file name JSON would need escaped is no name-version-build conda writes: left out, the manifest stays JSON.
    case "$nvb" in *[\"\\[:cntrl:]]*) continue ;; esac
    build=${nvb##*-}; nv=${nvb%-*}; version=${nv##*-}; name=${nv%-*}
    installed=$(grep -o '"size_in_bytes": *[0-9]*' "$f" | awk -F: '{ s += $2 } END { printf "%d", s }')
    if [ "$installed" = 0 ]; then
      installed=$(grep -o '"size": *[0-9]*' "$f" | head -n 1 | awk -F: '{ printf "%d", $2 }')
    fi
    printf '%s{"name":"%s","version":"%s","build":"%s","size":%s}' "$sep" "$name" "$version" "$build" "${installed:-0}"
    sep=,
  done
  printf '],"pip":'
  cat /tmp/cia-pip.json
  printf '}\n'
} > "$cia_out/sizes.json"
rm -f /tmp/cia-pip.tsv /tmp/cia-owned.txt /tmp/cia-pip.json
# <<< SBOM and lock <<<
EOF

# Package layers: the environment is shipped as PACKAGE_LAYERS layers of conda packages and
# one of what no package owns, by the very script of templates/base.Dockerfile (see its
# "Package layers" and README "Package layers"), run on the environment's prefix.
FROM solve AS layers
ARG PACKAGE_LAYERS
ARG IMAGE_USER
ARG PIXI_PROJECT_DIR=/app
ARG PIXI_ENVIRONMENT=default
ENV PACKAGE_LAYERS_PREFIX=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}
RUN <<'EOF'
set -eu
# conda-image-action package layers (see README "Package layers"). Splits the prefix into
# /layers/1 … /layers/$PACKAGE_LAYERS (conda packages) and /layers/unowned (the rest).
export LC_ALL=C
prefix=${PACKAGE_LAYERS_PREFIX:-/opt/conda}
out=${PACKAGE_LAYERS_OUT:-/layers}
n=${PACKAGE_LAYERS:-}
max=100
case "$n" in '' | *[!0-9]*) n=x ;; esac
if [ "$n" = x ] || [ "$n" -lt 1 ] || [ "$n" -gt "$max" ]; then
  echo "PACKAGE_LAYERS must be a whole number from 1 to $max, not '${PACKAGE_LAYERS:-}'" >&2; exit 1
fi
case "${IMAGE_USER:-}" in [0-9]*:[0-9]*) ;; *) echo "IMAGE_USER must be a numeric uid:gid, not '${IMAGE_USER:-}'" >&2; exit 1 ;; esac
buckets=$((n / 2)); [ "$buckets" -ge 1 ] || buckets=1
own=$((n - buckets))
w=$(mktemp -d)
cd "$prefix"
# 1. Each conda-meta record: its name, installed bytes and paths (`files`, paths_data._path).
find . -type l | sed 's|^\./||' > "$w/links"
set -- conda-meta/*.json
[ -e "$1" ] || set --
: > "$w/records"
[ $# -eq 0 ] || awk -v recs="$w/records" '
function hexval(h,   v, i) { v = 0; h = tolower(h); for (i = 1; i <= 4; i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
function utf8(c) {
  if (c < 128) return sprintf("%c", c)
  if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
  if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
  return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}
function unesc(s,   o, i, c, cp, lo) {
  if (index(s, "\\") == 0) return s
  o = ""
  while ((i = index(s, "\\")) > 0) {
    o = o substr(s, 1, i - 1); c = substr(s, i + 1, 1); s = substr(s, i + 2)
    if (c == "n") o = o "\n"; else if (c == "t") o = o "\t"; else if (c == "r") o = o "\r"
    else if (c == "b") o = o "\b"; else if (c == "f") o = o "\f"
    else if (c == "u") {
      cp = hexval(substr(s, 1, 4)); s = substr(s, 5)
      if (cp >= 55296 && cp < 56320 && substr(s, 1, 2) == "\\u") {
        lo = hexval(substr(s, 3, 4))
        if (lo >= 56320 && lo < 57344) { cp = 65536 + (cp - 55296) * 1024 + (lo - 56320); s = substr(s, 7) }
      }
      o = o (cp == 0 ? "\n" : utf8(cp))
    } else o = o c
  }
  return o s
}
function flush() {
  if (rec != "") print rec "\t" name "\t" (bytes > 0 ? bytes : size) > recs
}
function value(v, isstr) {
  if (d == 1 && key[1] == "name" && isstr) name = unesc(v)
  else if (d == 1 && key[1] == "size" && !isstr) size = v + 0
  else if (d == 2 && key[1] == "files" && typ[2] == "[" && isstr) emit(unesc(v))
  else if (d == 4 && key[1] == "paths_data" && key[2] == "paths" && typ[3] == "[") {
    if (key[4] == "_path" && isstr) emit(unesc(v))
    else if (key[4] == "size_in_bytes" && !isstr) bytes += v
  }
}
function emit(p) { if (p !~ /\n/) print rec "\t" p }
FNR == 1 { flush(); rec = FILENAME; sub(/^.*\//, "", rec); d = 0; name = ""; size = 0; bytes = 0 }
{
  l = $0
  while (l != "") {
    c = substr(l, 1, 1)
    if (c == " " || c == "\t" || c == "\r") { l = substr(l, 2); continue }
    if (c == "\"") {
      if (!match(l, /^"([^"\\]|\\.)*"/)) { l = ""; break }
      t = substr(l, 2, RLENGTH - 2); l = substr(l, RLENGTH + 1)
      if (typ[d] == "{" && wantkey[d]) { key[d] = unesc(t); wantkey[d] = 0 } else value(t, 1)
    } else if (c == "{" || c == "[") { d++; typ[d] = c; key[d] = ""; wantkey[d] = (c == "{"); l = substr(l, 2) }
    else if (c == "}" || c == "]") { if (d > 0) d--; l = substr(l, 2) }
    else if (c == ",") { if (typ[d] == "{") wantkey[d] = 1; l = substr(l, 2) }
    else if (c == ":") l = substr(l, 2)
    else if (match(l, /^[-+0-9.eEa-z]+/)) { value(substr(l, 1, RLENGTH), 0); l = substr(l, RLENGTH + 1) }
    else l = ""
  }
}
END { flush() }' "$@" > "$w/paths"
# 2. Layers: the $own largest packages one each (bytes, then record name), the rest in
#    $buckets buckets by a hash of the package name alone.
sort -t "$(printf '\t')" -k3,3nr -k1,1 "$w/records" | head -n "$own" | cut -f1 > "$w/largest"
awk -F '\t' -v own="$own" -v buckets="$buckets" -v largest="$w/largest" -v lists="$w/list." -v links="$w/links" '
function bucket(s,   h, i) { h = 7; for (i = 1; i <= length(s); i++) h = (h * 31 + ord[substr(s, i, 1)]) % 1000003; return own + 1 + h % buckets }
function safe(p,   n, parts, i, a) {
  if (p == "" || p ~ /^\// || p ~ /\/$/ || p ~ /\n/) return 0
  n = split(p, parts, "/"); a = ""
  for (i = 1; i <= n; i++) {
    if (parts[i] == "" || parts[i] == "." || parts[i] == "..") return 0
    if (i < n) { a = (a == "" ? parts[i] : a "/" parts[i]); if (a in link) return 0 }
  }
  return 1
}
BEGIN {
  for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
  while ((getline l < links) > 0) link[l] = 1
  k = 0; while ((getline l < largest) > 0) layer[l] = ++k
}
FILENAME != "-" && FNR == NR { if (!($1 in layer)) layer[$1] = bucket($2); seen["conda-meta/" $1] = 1; print "conda-meta/" $1 > (lists layer[$1]); next }
{ r = $1; p = substr($0, length(r) + 2); if (!(p in seen) && safe(p)) { seen[p] = 1; print p > (lists layer[r]) } }' "$w/records" "$w/paths"
# 3. Each layer: the files and links it owns that exist (never a directory), with their
#    parent directories (modes as in the prefix), copied out of the prefix; ownership and
#    modification times normalised so that unchanged files give a byte-identical layer.
i=1
while [ "$i" -le "$n" ]; do
  l="$w/list.$i"; : >> "$l"
  while IFS= read -r p; do
    if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then printf '%s\n' "$p"; fi
  done < "$l" > "$w/have"
  awk '{ n = split($0, a, "/"); s = "."; for (i = 1; i < n; i++) { s = s "/" a[i]; if (!(s in d)) { d[s] = 1; print s } } }' "$w/have" | sort > "$w/dirs"
  mkdir -p "$out/$i$prefix"
  { echo .; cat "$w/dirs"; sed 's|^|./|' "$w/have"; } | tr '\n' '\0' |
    xargs -0 sh -c 'dest=$1; shift; tar --no-recursion -cf - "$@" | tar -C "$dest" -xf -' sh "$out/$i$prefix"
  sed 's|^|./|' "$w/have" | tr '\n' '\0' | xargs -0 -r rm -f
  i=$((i + 1))
done
# 4. What no package owns (conda-meta/history, pip-installed and install-time files, every
#    directory of the prefix, empty ones too) and the home directory.
mkdir -p "$out/unowned$prefix" "$out/unowned/home"
tar -cf - . | tar -C "$out/unowned$prefix" -xf -
home=${PACKAGE_LAYERS_HOME:-/tmp/home}
[ ! -d "$home" ] || cp -a "$home" "$out/unowned/home/conda"
chown -R -h "$IMAGE_USER" "$out"
for d in "$out"/*; do
  [ ! -d "$d/home" ] || chown 0:0 "$d/home"
  a=$(dirname "$prefix"); while [ "$a" != / ]; do chown 0:0 "$d$a"; chmod 0755 "$d$a"; a=$(dirname "$a"); done
done
find "$out" -exec touch -h -d @0 {} +
rm -rf "$w"
EOF
# Into the unowned layer: the activation files kept from outside the environment (at their
# paths; files owned by IMAGE_USER, their directories by root) and the entrypoint. The last
# layer: the size manifest, the SBOM and the lock in <prefix>/etc/conda-image-action, its
# directories as in the unowned layer. Dated 1970-01-01 like the package layers.
RUN <<'EOF'
set -eu
u=/layers/unowned
m=/layers/manifest
(cd /tmp/keep/files && find . -mindepth 1 -type d | sed 's|^\./||' | while IFS= read -r d; do [ -e "$u/$d" ] || { mkdir -p "$u/$d"; chmod 0755 "$u/$d"; }; done)
(cd /tmp/keep/files && find . ! -type d | tr '\n' '\0' | xargs -0 -r sh -c 'tar --no-recursion -cf - "$@" | tar -C /layers/unowned -xf -' sh)
(cd /tmp/keep/files && find . ! -type d | sed "s|^\./|$u/|" | tr '\n' '\0' | xargs -0 -r chown -h "$IMAGE_USER")
mkdir -p "$u/opt/conda-image-action"
cp /tmp/keep/entry/entrypoint "$u/opt/conda-image-action/entrypoint"
chown "$IMAGE_USER" "$u/opt/conda-image-action/entrypoint"
chmod 0755 "$u/opt" "$u/opt/conda-image-action" "$u/opt/conda-image-action/entrypoint"
d=${PACKAGE_LAYERS_PREFIX#/}/etc/conda-image-action
for a in "${d%/*}" "$d"; do [ -d "$u/$a" ] || { mkdir "$u/$a"; chown "$IMAGE_USER" "$u/$a"; chmod 0755 "$u/$a"; }; done
find "$u" -exec touch -h -d @0 {} +
mkdir -p "$m"
(cd "$u" && echo "$d" | awk -F / '{ s = ""; for (i = 1; i <= NF; i++) { s = s (i > 1 ? "/" : "") $i; print s } }' | tr '\n' '\0' | xargs -0 tar --no-recursion -cf -) | tar -C "$m" -xf -
for f in /tmp/sizes/*; do cp "$f" "$m/$d/"; chown 0:0 "$m/$d/${f##*/}"; done
find "$m" -exec touch -h -d @0 {} +
EOF

# The runtime stage: the runtime image, then package layers 1 … PACKAGE_LAYERS (as in
# templates/base.Dockerfile: stage packages-<i> adds layer <i> with a plain COPY).
FROM ${RUNTIME_IMAGE} AS packages-0
FROM packages-0 AS packages-1
COPY --from=layers /layers/1/ /
FROM packages-1 AS packages-2
COPY --from=layers /layers/2/ /
FROM packages-2 AS packages-3
COPY --from=layers /layers/3/ /
FROM packages-3 AS packages-4
COPY --from=layers /layers/4/ /
FROM packages-4 AS packages-5
COPY --from=layers /layers/5/ /
FROM packages-5 AS packages-6
COPY --from=layers /layers/6/ /
FROM packages-6 AS packages-7
COPY --from=layers /layers/7/ /
FROM packages-7 AS packages-8
COPY --from=layers /layers/8/ /
FROM packages-8 AS packages-9
COPY --from=layers /layers/9/ /
FROM packages-9 AS packages-10
COPY --from=layers /layers/10/ /
FROM packages-10 AS packages-11
COPY --from=layers /layers/11/ /
FROM packages-11 AS packages-12
COPY --from=layers /layers/12/ /
FROM packages-12 AS packages-13
COPY --from=layers /layers/13/ /
FROM packages-13 AS packages-14
COPY --from=layers /layers/14/ /
FROM packages-14 AS packages-15
COPY --from=layers /layers/15/ /
FROM packages-15 AS packages-16
COPY --from=layers /layers/16/ /
FROM packages-16 AS packages-17
COPY --from=layers /layers/17/ /
FROM packages-17 AS packages-18
COPY --from=layers /layers/18/ /
FROM packages-18 AS packages-19
COPY --from=layers /layers/19/ /
FROM packages-19 AS packages-20
COPY --from=layers /layers/20/ /
FROM packages-20 AS packages-21
COPY --from=layers /layers/21/ /
FROM packages-21 AS packages-22
COPY --from=layers /layers/22/ /
FROM packages-22 AS packages-23
COPY --from=layers /layers/23/ /
FROM packages-23 AS packages-24
COPY --from=layers /layers/24/ /
FROM packages-24 AS packages-25
COPY --from=layers /layers/25/ /
FROM packages-25 AS packages-26
COPY --from=layers /layers/26/ /
FROM packages-26 AS packages-27
COPY --from=layers /layers/27/ /
FROM packages-27 AS packages-28
COPY --from=layers /layers/28/ /
FROM packages-28 AS packages-29
COPY --from=layers /layers/29/ /
FROM packages-29 AS packages-30
COPY --from=layers /layers/30/ /
FROM packages-30 AS packages-31
COPY --from=layers /layers/31/ /
FROM packages-31 AS packages-32
COPY --from=layers /layers/32/ /
FROM packages-32 AS packages-33
COPY --from=layers /layers/33/ /
FROM packages-33 AS packages-34
COPY --from=layers /layers/34/ /
FROM packages-34 AS packages-35
COPY --from=layers /layers/35/ /
FROM packages-35 AS packages-36
COPY --from=layers /layers/36/ /
FROM packages-36 AS packages-37
COPY --from=layers /layers/37/ /
FROM packages-37 AS packages-38
COPY --from=layers /layers/38/ /
FROM packages-38 AS packages-39
COPY --from=layers /layers/39/ /
FROM packages-39 AS packages-40
COPY --from=layers /layers/40/ /
FROM packages-40 AS packages-41
COPY --from=layers /layers/41/ /
FROM packages-41 AS packages-42
COPY --from=layers /layers/42/ /
FROM packages-42 AS packages-43
COPY --from=layers /layers/43/ /
FROM packages-43 AS packages-44
COPY --from=layers /layers/44/ /
FROM packages-44 AS packages-45
COPY --from=layers /layers/45/ /
FROM packages-45 AS packages-46
COPY --from=layers /layers/46/ /
FROM packages-46 AS packages-47
COPY --from=layers /layers/47/ /
FROM packages-47 AS packages-48
COPY --from=layers /layers/48/ /
FROM packages-48 AS packages-49
COPY --from=layers /layers/49/ /
FROM packages-49 AS packages-50
COPY --from=layers /layers/50/ /
FROM packages-50 AS packages-51
COPY --from=layers /layers/51/ /
FROM packages-51 AS packages-52
COPY --from=layers /layers/52/ /
FROM packages-52 AS packages-53
COPY --from=layers /layers/53/ /
FROM packages-53 AS packages-54
COPY --from=layers /layers/54/ /
FROM packages-54 AS packages-55
COPY --from=layers /layers/55/ /
FROM packages-55 AS packages-56
COPY --from=layers /layers/56/ /
FROM packages-56 AS packages-57
COPY --from=layers /layers/57/ /
FROM packages-57 AS packages-58
COPY --from=layers /layers/58/ /
FROM packages-58 AS packages-59
COPY --from=layers /layers/59/ /
FROM packages-59 AS packages-60
COPY --from=layers /layers/60/ /
FROM packages-60 AS packages-61
COPY --from=layers /layers/61/ /
FROM packages-61 AS packages-62
COPY --from=layers /layers/62/ /
FROM packages-62 AS packages-63
COPY --from=layers /layers/63/ /
FROM packages-63 AS packages-64
COPY --from=layers /layers/64/ /
FROM packages-64 AS packages-65
COPY --from=layers /layers/65/ /
FROM packages-65 AS packages-66
COPY --from=layers /layers/66/ /
FROM packages-66 AS packages-67
COPY --from=layers /layers/67/ /
FROM packages-67 AS packages-68
COPY --from=layers /layers/68/ /
FROM packages-68 AS packages-69
COPY --from=layers /layers/69/ /
FROM packages-69 AS packages-70
COPY --from=layers /layers/70/ /
FROM packages-70 AS packages-71
COPY --from=layers /layers/71/ /
FROM packages-71 AS packages-72
COPY --from=layers /layers/72/ /
FROM packages-72 AS packages-73
COPY --from=layers /layers/73/ /
FROM packages-73 AS packages-74
COPY --from=layers /layers/74/ /
FROM packages-74 AS packages-75
COPY --from=layers /layers/75/ /
FROM packages-75 AS packages-76
COPY --from=layers /layers/76/ /
FROM packages-76 AS packages-77
COPY --from=layers /layers/77/ /
FROM packages-77 AS packages-78
COPY --from=layers /layers/78/ /
FROM packages-78 AS packages-79
COPY --from=layers /layers/79/ /
FROM packages-79 AS packages-80
COPY --from=layers /layers/80/ /
FROM packages-80 AS packages-81
COPY --from=layers /layers/81/ /
FROM packages-81 AS packages-82
COPY --from=layers /layers/82/ /
FROM packages-82 AS packages-83
COPY --from=layers /layers/83/ /
FROM packages-83 AS packages-84
COPY --from=layers /layers/84/ /
FROM packages-84 AS packages-85
COPY --from=layers /layers/85/ /
FROM packages-85 AS packages-86
COPY --from=layers /layers/86/ /
FROM packages-86 AS packages-87
COPY --from=layers /layers/87/ /
FROM packages-87 AS packages-88
COPY --from=layers /layers/88/ /
FROM packages-88 AS packages-89
COPY --from=layers /layers/89/ /
FROM packages-89 AS packages-90
COPY --from=layers /layers/90/ /
FROM packages-90 AS packages-91
COPY --from=layers /layers/91/ /
FROM packages-91 AS packages-92
COPY --from=layers /layers/92/ /
FROM packages-92 AS packages-93
COPY --from=layers /layers/93/ /
FROM packages-93 AS packages-94
COPY --from=layers /layers/94/ /
FROM packages-94 AS packages-95
COPY --from=layers /layers/95/ /
FROM packages-95 AS packages-96
COPY --from=layers /layers/96/ /
FROM packages-96 AS packages-97
COPY --from=layers /layers/97/ /
FROM packages-97 AS packages-98
COPY --from=layers /layers/98/ /
FROM packages-98 AS packages-99
COPY --from=layers /layers/99/ /
FROM packages-99 AS packages-100
COPY --from=layers /layers/100/ /

FROM packages-${PACKAGE_LAYERS} AS runtime
ARG IMAGE_USER
ARG PIXI_PROJECT_DIR=/app
ARG PIXI_ENVIRONMENT=default
# What no package owns, the kept activation files, the entrypoint and the home directory.
COPY --link --from=layers /layers/unowned/ /
ENV PATH=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}/bin:$PATH \
    CONDA_PREFIX=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT} \
    HOME=/home/conda \
    LANG=C.UTF-8
USER ${IMAGE_USER}
WORKDIR /home/conda
# PATH and CONDA_PREFIX hold without the entrypoint too (`docker run --entrypoint …`); the
# rest of the activation (CONDA_DEFAULT_ENV, PIXI_*, the scripts) is the entrypoint's. RUN
# steps of an application Dockerfile built on this image run through the entrypoint too,
# so they see what the activation sets.
SHELL ["/opt/conda-image-action/entrypoint", "/bin/sh", "-c"]
ENTRYPOINT ["/opt/conda-image-action/entrypoint"]
# Last layer: the size manifest the action reads to report the largest packages, and the
# SBOM and lock (sbom.cdx.json, explicit.txt, requirements.lock.txt) — kept last and small,
# so it is fetched by digest without pulling the image.
COPY --link --from=layers /layers/manifest/ /
LABEL io.github.conda-image-action.size-manifest=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}/etc/conda-image-action/sizes.json
