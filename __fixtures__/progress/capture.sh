#!/usr/bin/env bash
# Re-captures the BuildKit progress fixtures used by __tests__/buildx-progress.test.ts from
# the local stack (bash scripts/stack-up.sh; registry at 127.0.0.1:5000, docker driver with
# the containerd image store). Writes <name>.json (rawjson, stderr of `docker buildx build
# --progress=rawjson`) and <name>.plain.txt (the same kind of build with --progress=plain).
# Each build gets a fresh nonce so the "cold" builds are really cold.
set -uo pipefail
out=$(cd "$(dirname "$0")" && pwd)
reg=${REGISTRY:-127.0.0.1:5000}
base=$reg/test/busybox:latest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nonce=$(date +%s%N)
repo=$reg/test-fixtures-$nonce

build() { # build <fixture> <progress> <dir> [extra args...]
  local name=$1 progress=$2 dir=$3; shift 3
  local ext=json; [ "$progress" = plain ] && ext=plain.txt
  docker buildx build --progress="$progress" --metadata-file "$work/$name.meta.json" "$@" "$dir" \
    >/dev/null 2>"$out/$name.$ext"
  echo "$name ($progress): exit $?" >&2
}

mkdir -p "$work/simple" "$work/multi" "$work/fail"
echo hello >"$work/simple/hello.txt"
cat >"$work/simple/Dockerfile" <<DF
FROM $base
RUN echo "nonce $nonce" > /nonce.txt && echo to-stdout && echo to-stderr >&2
COPY hello.txt /hello.txt
WORKDIR /app
RUN cat /nonce.txt /hello.txt && printf 'a "quoted" \\\\ line\\twith tab\\n'
DF
cache="type=registry,ref=$repo/simple:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"
build cold rawjson "$work/simple" -t "$repo/simple:t" --push --cache-to "$cache"
build cached rawjson "$work/simple" -t "$repo/simple:t" --push --cache-to "$cache" --cache-from "type=registry,ref=$repo/simple:buildcache"
# the same with plain progress: change the nonce so the first one is cold again
sed -i "s/nonce $nonce/nonce plain-$nonce/" "$work/simple/Dockerfile"
build cold plain "$work/simple" -t "$repo/simple:p" --push --cache-to "$cache"
build cached plain "$work/simple" -t "$repo/simple:p" --push --cache-to "$cache"

cat >"$work/multi/Dockerfile" <<DF
FROM $base AS base
RUN echo "base $nonce" > /base.txt

FROM base AS build
RUN echo "build $nonce" > /out.txt && sleep 1
RUN cat /base.txt /out.txt > /all.txt

FROM $base
COPY --from=build /all.txt /all.txt
RUN cat /all.txt
DF
build multistage rawjson "$work/multi" -t "$repo/multi:t" --push
sed -i "s/ $nonce\"/ plain-$nonce\"/" "$work/multi/Dockerfile"
build multistage plain "$work/multi" -t "$repo/multi:p" --push
build multistage-cached plain "$work/multi" -t "$repo/multi:p" --push

cat >"$work/fail/Dockerfile" <<DF
FROM $base
RUN echo "fail $nonce" > /x.txt
RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "log line \$i"; done && echo "about to fail" >&2 && exit 3
RUN echo never
DF
build failing rawjson "$work/fail" -t "$repo/fail:t"
sed -i "s/fail $nonce/fail plain-$nonce/" "$work/fail/Dockerfile"
build failing plain "$work/fail" -t "$repo/fail:t"

# cache export to a port where nothing listens: the build succeeds (ignore-error=true)
sed -i "s/nonce plain-$nonce/nonce export-$nonce/" "$work/simple/Dockerfile"
build cache-export-fails rawjson "$work/simple" -t "$repo/simple:e" --push \
  --cache-to "type=registry,ref=127.0.0.1:5999/nowhere/cache:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"
sed -i "s/nonce export-$nonce/nonce export-plain-$nonce/" "$work/simple/Dockerfile"
build cache-export-fails plain "$work/simple" -t "$repo/simple:f" --push \
  --cache-to "type=registry,ref=127.0.0.1:5999/nowhere/cache:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"

# cache imports BuildKit refuses: a ref with no cache yet (the first build: not reported) and a
# cache whose config blob is over the 1 MiB BuildKit imports (a cache manifest pushed by hand,
# its config 1.1 MiB of JSON: BuildKit refuses it by size before it parses it)
big=$work/bigcache
mkdir -p "$big"
{ printf '{"layers":[],"records":['; for i in $(seq 1 14000); do printf '{"digest":"sha256:%064d"},' "$i"; done; printf '{"digest":"x"}]}'; } >"$big/config.json"
cfg_digest=sha256:$(sha256sum "$big/config.json" | cut -d' ' -f1)
cfg_size=$(wc -c <"$big/config.json")
bigpath="${repo#"$reg"/}/bigcache"
upload=$(curl -fsS -X POST -D - -o /dev/null "http://$reg/v2/$bigpath/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
case "$upload" in http*) ;; *) upload="http://$reg$upload" ;; esac
sep='?'; case "$upload" in *\?*) sep='&' ;; esac
curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$big/config.json" "$upload${sep}digest=$cfg_digest" >/dev/null
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.buildkit.cacheconfig.v0","digest":"%s","size":%s},"layers":[]}' \
  "$cfg_digest" "$cfg_size" >"$big/manifest.json"
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$big/manifest.json" "http://$reg/v2/$bigpath/manifests/buildcache" >/dev/null
sed -i "s/nonce export-plain-$nonce/nonce import-$nonce/" "$work/simple/Dockerfile"
build cache-import-refused rawjson "$work/simple" -t "$repo/simple:i" \
  --cache-from "type=registry,ref=$repo/nocache:buildcache" --cache-from "type=registry,ref=$repo/bigcache:buildcache"
sed -i "s/nonce import-$nonce/nonce import-plain-$nonce/" "$work/simple/Dockerfile"
build cache-import-refused plain "$work/simple" -t "$repo/simple:i" \
  --cache-from "type=registry,ref=$repo/nocache:buildcache" --cache-from "type=registry,ref=$repo/bigcache:buildcache"

# delete what was pushed (manifests; the registry's garbage collector reclaims blobs)
accept='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
for ref in simple:t simple:p simple:e simple:f simple:buildcache multi:t multi:p bigcache:buildcache; do
  name=${ref%%:*} tag=${ref#*:}
  path="${repo#"$reg"/}/$name"
  digest=$(curl -fsS -o /dev/null -D - -H "Accept: $accept" "http://$reg/v2/$path/manifests/$tag" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
  [ -n "$digest" ] && curl -fsS -X DELETE "http://$reg/v2/$path/manifests/$digest" >/dev/null
  docker image rm -f "$repo/$ref" >/dev/null 2>&1 || true
done
