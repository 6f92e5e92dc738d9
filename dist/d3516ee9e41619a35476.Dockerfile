# syntax=docker/dockerfile:1
# Bundled base template of conda-image-action (used when `base-dockerfile` is empty).
#
# Build context: the environment file's directory. Build args:
#   ENVIRONMENT_FILE  name of the environment file inside the context (set by the action)
#   MICROMAMBA_IMAGE  the solver stage image
#   RUNTIME_IMAGE     the slim runtime stage image
# The environment is solved and installed once into /opt/conda with micromamba, package
# caches are cleaned in the same layer, and only the installed prefix is copied into the
# runtime stage, so the image carries no solver caches and no build tools.
ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.0.5
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${MICROMAMBA_IMAGE} AS solve
ARG ENVIRONMENT_FILE=environment.yml
USER root
ENV MAMBA_ROOT_PREFIX=/opt/conda
# Copy the whole context: pip `-r` files and local packages referenced by the environment
# file resolve relative to it (they are part of the environment hash too).
COPY . /tmp/env/
WORKDIR /tmp/env
RUN micromamba install -y -n base -f "/tmp/env/${ENVIRONMENT_FILE}" \
 && micromamba clean --all --yes --force-pkgs-dirs \
 && find /opt/conda -name '__pycache__' -type d -prune -exec rm -rf {} + \
 && rm -rf /tmp/env /root/.cache

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=solve /opt/conda /opt/conda
ENV PATH=/opt/conda/bin:$PATH \
    CONDA_PREFIX=/opt/conda \
    LANG=C.UTF-8
WORKDIR /workspace
