// The one redaction function, table-tested, and where it is applied: hash messages, the
// label document, the report.

import { describe, expect, it } from 'vitest'
import { excerpt, isSecretName, redact } from '../src/text/redact.js'
import { redactCondarc } from '../src/secrets/condarc.js'
import { displayCommand } from '../src/buildx/argv.js'
import { redactAssignment } from '../src/hash/label-secrets.js'
import { redactUrlSecrets } from '../src/hash/label-secrets.js'
import { oneLine } from '../src/report/markdown.js'
import { cleanupTemp, fpOf, userError } from './hash-helpers.js'
import { afterAll } from 'vitest'

afterAll(cleanupTemp, 120_000)

describe('the one credential-name pattern: build args, .condarc keys, the label document', () => {
  it.each([
    ['GITHUB_TOKEN', true],
    ['password', true],
    ['DB_PASSWD', true],
    ['GPG_PASSPHRASE', true],
    ['api-key', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['PRIVATE_KEY', true],
    ['credentials', true],
    ['proxy_auth', true],
    ['PYTHON_VERSION', false],
    ['channels', false],
  ])('isSecretName(%s) = %s', (key, want) => {
    expect(isSecretName(key)).toBe(want)
  })

  it('masks a passphrase-named value wherever a key names it', () => {
    expect(redactCondarc({ signing_passphrase: 'hunter2' })).toEqual({ signing_passphrase: '***' })
    expect(redactAssignment('GPG_PASSPHRASE', 'hunter2')).toMatch(/^sha256:/)
    const shown = displayCommand({
      context: '.',
      dockerfile: 'Dockerfile',
      tags: [],
      buildArgs: ['GPG_PASSPHRASE=hunter2', 'PYTHON_VERSION=3.12'],
      labels: [],
      platforms: [],
      cacheFrom: [],
      output: 'none',
      metadataFile: '/tmp/meta.json',
    })
    expect(shown).toContain('--build-arg=GPG_PASSPHRASE=***')
    expect(shown).toContain('--build-arg=PYTHON_VERSION=3.12')
    expect(shown).not.toContain('hunter2')
  })
})

describe('the build command shown in the log: build-arg and label values pass the one redaction', () => {
  const shown = (value: string): string =>
    displayCommand({
      context: '.',
      dockerfile: 'Dockerfile',
      tags: [],
      buildArgs: [`MIRROR=${value}`],
      labels: [`org.example.source=${value}`],
      platforms: [],
      cacheFrom: [],
      output: 'none',
      metadataFile: '/tmp/meta.json',
    })
  it.each([
    ['https://alice:TOKEN@mirror.example/conda', 'https://alice:***@mirror.example/conda'],
    ['http://alice:TOKEN@mirror.example/conda', 'http://alice:***@mirror.example/conda'],
    ['oci://alice:TOKEN@registry.example/env', 'oci://alice:***@registry.example/env'],
    ['https://TOKEN@mirror.example/conda', 'https://***@mirror.example/conda'],
    ['https://alice:TO@KEN@mirror.example/conda', 'https://alice:***@mirror.example/conda'],
    ['https://mirror.example/conda?token=TOKEN', 'https://mirror.example/conda?token=***'],
    ['https://mirror.example/conda?user=alice&password=TOKEN', 'https://mirror.example/conda?user=alice&password=***'],
    ['https://mirror.example/conda?X-Amz-Signature=TOKEN', 'https://mirror.example/conda?X-Amz-Signature=***'],
    ['https://conda.anaconda.org/t/TOKEN12345/chan', 'https://conda.anaconda.org/t/***/chan'],
    ['https://mirror.example/conda', 'https://mirror.example/conda'],
  ])('%s', (value, want) => {
    const line = shown(value)
    expect(line).not.toContain('TOKEN')
    expect(line).toContain(`--build-arg=MIRROR=${want}`)
    expect(line).toContain(`--label=org.example.source=${want}`)
    expect(line).toContain(redact(`--build-arg=MIRROR=${value}`))
  })
})

describe('redact', () => {
  it.each([
    ['https://alice:TOKEN@host/simple', 'https://alice:***@host/simple'],
    ['-e ./x --extra-index-url https://alice:TOKEN@host/simple', '-e ./x --extra-index-url https://alice:***@host/simple'],
    ['--index-url=https://TOKEN@host/simple', '--index-url=https://***@host/simple'],
    ['-i TOKEN@host/simple', '-i ***@host/simple'],
    ['--index-url alice:TOKEN@host/simple', '--index-url alice:***@host/simple'],
    ['--find-links https://u:TOKEN@host/wheels', '--find-links https://u:***@host/wheels'],
    ['-f u:TOKEN@host/wheels', '-f u:***@host/wheels'],
    ['--trusted-host alice:TOKEN@host', '--trusted-host alice:***@host'],
    ['--trusted-host TOKEN@host', '--trusted-host ***@host'],
    ['see alice:TOKEN@host.example for details', 'see alice:***@host.example for details'],
    ['https://conda.anaconda.org/t/TOKEN12345/chan', 'https://conda.anaconda.org/t/***/chan'],
    ['https://h/x?token=TOKEN&b=1', 'https://h/x?token=***&b=1'],
    ['https://h/x?a=1&access_key=TOKEN', 'https://h/x?a=1&access_key=***'],
    // a raw `@` in the userinfo: masked to the authority's last `@`
    ['https://alice:TO@KEN@host/simple', 'https://alice:***@host/simple'],
    ['https://TO@KEN@host/simple', 'https://***@host/simple'],
    // not credentials
    ['git+ssh://git@github.com/acme/x.git', 'git+ssh://git@github.com/acme/x.git'],
    ['pkg @ https://host/pkg.whl', 'pkg @ https://host/pkg.whl'],
    [
      'ghcr.io/acme/model:base-abc@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'ghcr.io/acme/model:base-abc@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
    [
      'model:base-abc@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'model:base-abc@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
    ['mail bob@example.com', 'mail bob@example.com'],
    ['numpy>=1.26,<2', 'numpy>=1.26,<2'],
  ])('%s', (input, out) => {
    expect(redact(input)).toBe(out)
    expect(redact(out)).toBe(out)
  })

  it.each([
    ['comma-colon runs', `@ ${',a:'.repeat(30_000)}`],
    ['equals-colon runs', `@ ${'=a:'.repeat(30_000)}`],
    ['scheme runs', `@ ${'a://b:'.repeat(15_000)}`],
    ['a long query key', `= @ ?${'a'.repeat(90_000)}`],
    ['userinfo @ runs', `a://b:${'c@'.repeat(30_000)}`],
    ['token @ runs', `a://${'c@'.repeat(30_000)}`],
  ])('stays linear on hostile text: %s', (_name, text) => {
    const t0 = performance.now()
    redact(text)
    expect(performance.now() - t0).toBeLessThan(1000) // quadratic backtracking takes seconds here
  })

  it('the label document masks with a digest (the hash still follows the secret)', () => {
    expect(redactUrlSecrets('https://alice:TOKEN@host/simple')).toMatch(/^https:\/\/alice:sha256:[0-9a-f]{16}@host\/simple$/)
    expect(redactUrlSecrets('--index-url alice:TOKEN@host')).not.toContain('TOKEN')
  })

  it('excerpt: redacted, one line, at most 80 characters', () => {
    expect(excerpt(`x\n${'a'.repeat(500)}`)).toHaveLength(80)
    expect(excerpt('https://a:TOKEN@h\u0000')).toBe('https://a:***@h?')
  })

  it('the report escapes after redacting (and never cuts a credential in half)', () => {
    expect(oneLine('https://alice:TOKEN@host/simple', 200)).not.toContain('TOKEN')
    expect(oneLine(`${'x'.repeat(20)} https://alice:${'T'.repeat(100)}@host/simple`, 40)).not.toContain('TTT')
  })
})

describe('messages quote at most a short excerpt', () => {
  it('a top-level scalar is not echoed whole', async () => {
    const e = await userError(fpOf(`${'secretish-'.repeat(1000)}\n`))
    expect(e.message).toMatch(/the top level must be a mapping/)
    expect(e.message.length).toBeLessThan(300)
  })

  it('an unknown key is not echoed whole', async () => {
    const fp = await fpOf(`${'k'.repeat(1000)}: 1\ndependencies: [a]\n`)
    expect(fp.warnings[0]!.message.length).toBeLessThan(300)
  })
})
