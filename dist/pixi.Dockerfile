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
# Size manifest: one record per conda package, installed bytes summed from its conda-meta
# record (paths_data), or the record's `size` when it has no paths_data.
{
  printf '{"version":1,"prefix":"%s","packages":[' "$prefix"
  sep=
  for f in "$prefix"/conda-meta/*.json; do
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
EOF

FROM ${RUNTIME_IMAGE} AS runtime
ARG IMAGE_USER=57439:57439
ARG PIXI_PROJECT_DIR=/app
ARG PIXI_ENVIRONMENT=default
COPY --from=solve --chown=${IMAGE_USER} ${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT} ${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}
COPY --from=solve --chown=${IMAGE_USER} /tmp/keep/files/ /
COPY --from=solve --chown=${IMAGE_USER} /tmp/keep/entry/entrypoint /opt/conda-image-action/entrypoint
COPY --from=solve --chown=${IMAGE_USER} /tmp/home /home/conda
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
# Last layer: the size manifest the action reads to report the largest packages (kept
# last and small, so it is fetched by digest without pulling the image).
COPY --from=solve /tmp/sizes/sizes.json ${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}/etc/conda-image-action/sizes.json
LABEL io.github.conda-image-action.size-manifest=${PIXI_PROJECT_DIR}/.pixi/envs/${PIXI_ENVIRONMENT}/etc/conda-image-action/sizes.json
