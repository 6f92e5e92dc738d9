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
# Last layer: the size manifest the action reads to report the largest packages (kept
# last and small, so it is fetched by digest without pulling the image).
COPY --from=solve /tmp/sizes/sizes.json /opt/conda/etc/conda-image-action/sizes.json
LABEL io.github.conda-image-action.size-manifest=/opt/conda/etc/conda-image-action/sizes.json
