# Stand-in base Dockerfile for the example and the tests.
#
# A real base uses the bundled micromamba template (leave `base-dockerfile` empty), which
# installs the environment with micromamba. Conda channels cannot be reached on the
# machines this project is developed and tested on, so this Dockerfile stands in for the
# conda install: it starts from a busybox image in the local registry and "installs" the
# environment by deriving files from the environment file (one file per spec, plus a
# payload whose size follows the environment), with the same shape as the real template:
# runtime setup steps that do not depend on the environment, then the environment steps.
ARG BASE_FROM=127.0.0.1:5000/test/busybox:latest
FROM ${BASE_FROM}
ARG ENVIRONMENT_FILE=environment.yml

# Environment-independent steps: served from the registry cache on a fresh runner.
RUN mkdir -p /opt/conda/conda-meta /opt/conda/bin /workspace \
 && printf '#!/bin/sh\necho "python (stand-in)"\n' > /opt/conda/bin/python && chmod +x /opt/conda/bin/python
RUN dd if=/dev/urandom of=/opt/conda/runtime.bin bs=1024 count=256 2>/dev/null

# "Solve and install" the environment: depends on the environment file and what it references.
COPY . /tmp/env/
RUN cd /tmp/env \
 && sed -n 's/^ *- *\([^#]*\).*$/\1/p' "${ENVIRONMENT_FILE}" | sed 's/ *$//' | sort > /opt/conda/conda-meta/specs.txt \
 && cat /tmp/env/*.txt > /opt/conda/conda-meta/pip-requirements.txt 2>/dev/null || true
RUN n=$(wc -l < /opt/conda/conda-meta/specs.txt) \
 && dd if=/dev/urandom of=/opt/conda/packages.bin bs=1024 count=$((n * 64)) 2>/dev/null \
 && rm -rf /tmp/env
ENV PATH=/opt/conda/bin:$PATH CONDA_PREFIX=/opt/conda
WORKDIR /workspace
