# Bundled base template of conda-image-action (used when `base-dockerfile` is empty).
#
# Built with the builder's own Dockerfile frontend: there is deliberately no `# syntax=`
# line, so no frontend image is pulled (air-gapped runners, registry mirrors, rate limits).
#
# Build context: exactly the files the environment hash covers (the environment file, the
# pip -r/-c files it references, local trees pip installs from), at their paths relative
# to one another; the action assembles it. Build args:
#   ENVIRONMENT_FILE   path of the environment file inside the context (set by the action):
#                      an environment YAML, an @EXPLICIT lock, a conda-lock file
#                      (*-lock.yml) or a plain spec list (`conda list --export` output)
#   MICROMAMBA_IMAGE   the solve stage image (a mirror of it works)
#   RUNTIME_IMAGE      the runtime stage image: anything with a libc; a shell is needed only
#                      for the activation entrypoint (see ACTIVATION_SHELL)
#   IMAGE_USER         uid:gid that owns the prefix and runs the image (numeric, no account
#                      needed); 0:0 runs as root
#   KEEP_PYCACHE       true (default) keeps the compiled __pycache__ of the environment
#   ACTIVATION_SHELL   interpreter of the activation entrypoint (default /bin/sh); with a
#                      shell-less (distroless) runtime, add `bash` to the environment and
#                      pass /opt/conda/bin/bash
#   ENV_HASH           the environment hash (set by the action; see the solve step)
#   CONDA_OVERRIDE_CUDA, CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_OSX, CONDA_OVERRIDE_ARCHSPEC
#                      virtual packages for the solver (e.g. CUDA 12.4 on a CPU runner);
#                      set for the solve only when non-empty
# BuildKit secrets, all optional and never written to the image:
#   condarc   a .condarc for the solver (channel mirrors, channel_alias, tokens)
#   pip_conf  a pip configuration file (PIP_CONFIG_FILE) for the pip part of the environment
#   netrc     a .netrc for private channels and indexes
ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.6.1
ARG RUNTIME_IMAGE=debian:13-slim

FROM ${MICROMAMBA_IMAGE} AS solve
USER 0:0
# A plain POSIX shell for the steps below (the micromamba image's own SHELL wraps bash).
SHELL ["/bin/sh", "-c"]
ENV MAMBA_ROOT_PREFIX=/opt/conda
COPY . /tmp/env/
ARG ENVIRONMENT_FILE=environment.yml
ARG CONDA_OVERRIDE_CUDA=
ARG CONDA_OVERRIDE_GLIBC=
ARG CONDA_OVERRIDE_OSX=
ARG CONDA_OVERRIDE_ARCHSPEC=
# The environment hash (the action passes it): part of this step's cache key, so what the
# hash covers outside the build context (the condarc input) re-solves when it changes.
ARG ENV_HASH=
# Solve and install, then remove everything that is not the environment — in one step, so
# no layer of this stage holds a package cache it does not need (the runtime stage copies
# only the prefix anyway). pip runs in the environment file's directory (micromamba writes
# its pip requirements file there), so -r/-c paths resolve as they did when hashed.
RUN --mount=type=secret,id=condarc,required=false \
    --mount=type=secret,id=pip_conf,required=false \
    --mount=type=secret,id=netrc,required=false \
    <<'EOF'
set -eu
for v in CUDA GLIBC OSX ARCHSPEC; do
  eval "val=\${CONDA_OVERRIDE_$v:-}"
  if [ -n "$val" ]; then export "CONDA_OVERRIDE_$v"; else unset "CONDA_OVERRIDE_$v"; fi
done
if [ -r /run/secrets/condarc ]; then export CONDARC=/run/secrets/condarc MAMBARC=/run/secrets/condarc; fi
if [ -r /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi
if [ -r /run/secrets/netrc ]; then export NETRC=/run/secrets/netrc; ln -sf /run/secrets/netrc "$HOME/.netrc" 2>/dev/null || true; fi
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
cd "/tmp/env/$(dirname "$ENVIRONMENT_FILE")"
spec=$(basename "$ENVIRONMENT_FILE")
# micromamba tells a conda-lock file by its name; give one that is named otherwise that name.
case "$spec" in
  *-lock.yml | *-lock.yaml) ;;
  *.yml | *.yaml) if grep -q '^package:' "$spec" && grep -q '^version:' "$spec"; then cp "$spec" conda-image-action-lock.yml; spec=conda-image-action-lock.yml; fi ;;
esac
micromamba install -y -n base -f "$spec"
micromamba clean --all --yes
rm -rf /opt/conda/pkgs "$HOME/.cache" "$HOME/.netrc" /tmp/env
EOF

# The runtime helpers and the size manifest, made where a shell exists (the runtime image
# may have none). The entrypoint applies the environment's activation scripts
# (etc/conda/activate.d/*.sh: GDAL_DATA, PROJ_DATA, SSL_CERT_FILE, CUDA variables …), then
# runs the command.
ARG KEEP_PYCACHE=true
ARG ACTIVATION_SHELL=/bin/sh
RUN <<'EOF'
set -eu
case "$KEEP_PYCACHE" in
  true) ;;
  false) find /opt/conda -name __pycache__ -type d -prune -exec rm -rf {} + ;;
  *) echo "KEEP_PYCACHE must be true or false, not '$KEEP_PYCACHE'" >&2; exit 1 ;;
esac
d=/opt/conda/etc/conda-image-action
mkdir -p "$d" /tmp/home /tmp/sizes
cat > "$d/entrypoint" <<SCRIPT
#!$ACTIVATION_SHELL
# conda-image-action: applies the environment's activation scripts, then runs the command.
for conda_image_action_f in "\${CONDA_PREFIX:-/opt/conda}"/etc/conda/activate.d/*.sh; do
  [ -r "\$conda_image_action_f" ] && . "\$conda_image_action_f"
done
unset conda_image_action_f
[ "\$#" -gt 0 ] || set -- "$ACTIVATION_SHELL"
exec "\$@"
SCRIPT
chmod 0755 "$d/entrypoint"
# Size manifest: one record per conda package, installed bytes summed from its conda-meta
# record (paths_data), or the record's `size` when it has no paths_data.
{
  printf '{"version":1,"prefix":"/opt/conda","packages":['
  sep=
  for f in /opt/conda/conda-meta/*.json; do
    [ -e "$f" ] || continue
    nvb=$(basename "$f" .json)
    build=${nvb##*-}; nv=${nvb%-*}; version=${nv##*-}; name=${nv%-*}
    installed=$(grep -o '"size_in_bytes": *[0-9]*' "$f" | awk -F: '{ s += $2 } END { printf "%d", s }')
    if [ "$installed" = 0 ]; then
      installed=$(grep -o '"size": *[0-9]*' "$f" | head -n 1 | awk -F: '{ printf "%d", $2 }')
    fi
    printf '%s{"name":"%s","version":"%s","build":"%s","size":%s}' "$sep" "$name" "$version" "$build" "${installed:-0}"
    sep=,
  done
  printf ']}\n'
} > /tmp/sizes/sizes.json
# >>> SBOM and lock (issue 31): sbom.cdx.json, explicit.txt, requirements.lock.txt >>>
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
  awk -v h="$h" -v f="$rel" 'BEGIN { FS = ": " } /^\r?$/ { exit } /^Name: / && n == "" { n = substr($0, 7) } /^Version: / && v == "" { v = substr($0, 10) }
    END { gsub(/[\t\r]/, " ", n); gsub(/[\t\r]/, " ", v); gsub(/[\t\r]/, " ", f); printf "%s\t%s\t%s\t%s\n", n, v, h, f }' "$m" >> /tmp/cia-pip.tsv
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
    n = l; sub(/\t.*/, "", n); r = substr(l, length(n) + 2); v = r; sub(/\t.*/, "", v); r = substr(r, length(v) + 2); h = r; sub(/\t.*/, "", h); f = substr(r, length(h) + 2)
    if (n == "" || v == "" || length(n) > 256 || length(v) > 256) { note(f, "a pip distribution without a usable Name and Version"); continue }
    pn = tolower(n); gsub(/_/, "-", pn)
    if (!component("pkg:pypi/" encname(pn) "@" encversion(v), n, v, ishex(h, 64) ? ",\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"" h "\"}]" : "")) continue
    req = req n "==" v (ishex(h, 64) ? " --hash=sha256:" h : "") "\n"
  }
  meta = "\"metadata\":{\"tools\":{\"components\":[{\"type\":\"application\",\"name\":\"conda-image-action base template\"}]},\"component\":{\"type\":\"container\",\"bom-ref\":\"conda-image-action-base\",\"name\":\"conda-image-action-base\"" (envhash ~ /^[0-9a-f]+$/ ? ",\"version\":\"" envhash "\"" : "") "}" (notes == "" ? "" : ",\"properties\":[" notes "]") "}"
  printf "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\n  %s,\n  \"components\":[%s%s%s]}\n", meta, comps == "" ? "" : "\n    ", comps, comps == "" ? "" : "\n  " > (out "/sbom.cdx.json")
  printf "# The conda part of this environment: micromamba create -n NAME -f explicit.txt\n# platform: %s\n@EXPLICIT\n%s", platform == "" ? "noarch" : platform, lock > (out "/explicit.txt")
  printf "# The pip part of this environment, pinned. --hash only where pip recorded the archive hash\n# (direct_url.json): an installed distribution keeps no hash of its wheel otherwise.\n%s", req > (out "/requirements.lock.txt")
}' "$@" < /dev/null
rm -f /tmp/cia-pip.tsv /tmp/cia-owned.txt
# <<< SBOM and lock <<<
EOF

FROM ${RUNTIME_IMAGE} AS runtime
ARG IMAGE_USER=57439:57439
COPY --from=solve --chown=${IMAGE_USER} /opt/conda /opt/conda
COPY --from=solve --chown=${IMAGE_USER} /tmp/home /home/conda
ENV PATH=/opt/conda/bin:$PATH \
    CONDA_PREFIX=/opt/conda \
    CONDA_DEFAULT_ENV=base \
    HOME=/home/conda \
    LANG=C.UTF-8
USER ${IMAGE_USER}
WORKDIR /home/conda
# RUN steps of an application Dockerfile built on this image run through the entrypoint
# too, so they see what the activation scripts set.
SHELL ["/opt/conda/etc/conda-image-action/entrypoint", "/bin/sh", "-c"]
ENTRYPOINT ["/opt/conda/etc/conda-image-action/entrypoint"]
# Last layer: the size manifest the action reads to report the largest packages, and the
# SBOM and lock (sbom.cdx.json, explicit.txt, requirements.lock.txt) — kept last and small,
# so it is fetched by digest without pulling the image.
COPY --from=solve /tmp/sizes/ /opt/conda/etc/conda-image-action/
LABEL io.github.conda-image-action.size-manifest=/opt/conda/etc/conda-image-action/sizes.json
