// The bundled template with its package layers copied with COPY --link, as they were before
// they became plain COPY steps: what BuildKit's registry cache config grows to with it (over the
// 1 MiB BuildKit imports, for a small environment) and what it saves on a bump. Used by the
// cache-config e2e and by `npm run bench` (figure `layers`).

export function linkedTemplate(text: string): string {
  const linked = text.replace(/^COPY --from=layers \/layers\/(\d+)\/ \/$/gm, 'COPY --link --from=layers /layers/$1/ /')
  if (linked === text) throw new Error('the template no longer has plain COPY package-layer steps')
  return linked
}
