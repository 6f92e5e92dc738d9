// The process port: real processes through @actions/exec — output, exit codes, stdin,
// a missing program, timeouts and aborts that kill the tree, and no child left behind
// when the action is cancelled (and the clean-up command of a call under way run).

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { docker } from '../src/buildx/docker.js'
import { DOCKER_MISSING, execProcess, isProgramNotFound } from '../src/runner/process.js'
import { UserError } from '../src/vocabulary/user-error.js'

/** Running (a zombie waiting for its reaper counts as gone: it runs nothing). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('execProcess', () => {
  it('collects stdout and stderr, returns the exit code, feeds stdin', async () => {
    const r = await execProcess.run('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' })
    expect(r).toEqual({ code: 3, stdout: 'hello', stderr: 'err\n' })
  })

  it('streams chunks to the listeners and keeps at most maxBuffer characters', async () => {
    const chunks: string[] = []
    const r = await execProcess.run('sh', ['-c', 'printf 0123456789'], { maxBuffer: 4, onStdout: (c) => chunks.push(c) })
    expect(chunks.join('')).toBe('0123456789')
    expect(r.stdout.length).toBeLessThan(10)
  })

  it('a missing program is ProgramNotFound; for docker, one clear UserError naming what to install', async () => {
    const e = await execProcess.run('no-such-program-cia', []).catch((x: unknown) => x)
    expect(isProgramNotFound(e)).toBe(true)
    const d = await docker(['version'], {
      env: { PATH: '/nonexistent' },
      proc: { run: (p, a, o) => execProcess.run(p === 'docker' ? 'docker-not-installed-cia' : p, a, o) },
    }).catch((x: unknown) => x)
    expect(d).toBeInstanceOf(UserError)
    expect((d as Error).message).toBe(DOCKER_MISSING)
    expect(DOCKER_MISSING).toMatch(/docker-ce-cli.*docker-buildx-plugin/)
  })

  it('a timeout kills the process tree', async () => {
    let pids: number[] = []
    const r = await execProcess.run('sh', ['-c', 'sleep 300 & echo $!; echo $$; wait'], {
      timeoutMs: 1500,
      onStdout: (c) => (pids = [...pids, ...c.split('\n').filter(Boolean).map(Number)]),
    })
    expect(r.killed).toBe('timeout')
    expect(pids).toHaveLength(2)
    for (const p of pids) expect(alive(p)).toBe(false)
  })

  it('an abort kills the process tree', async () => {
    const ac = new AbortController()
    let grandchild = 0
    const r = await execProcess.run('sh', ['-c', 'sleep 300 & echo $!; wait'], {
      signal: ac.signal,
      onStdout: (c) => {
        grandchild = Number(c.trim())
        ac.abort()
      },
    })
    expect(r.killed).toBe('aborted')
    expect(alive(grandchild)).toBe(false)
  })
})

describe('killChildrenOnSignal', () => {
  it.each([false, true])(
    'SIGTERM to the action leaves no child or grandchild process behind (a clean-up command of the call under way: %s)',
    async (withCleanup) => {
      const script = fileURLToPath(new URL('../__fixtures__/procs/cancel-me.ts', import.meta.url))
      const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'cancel-')), 'cleaned')
      const env = withCleanup ? { ...process.env, CANCEL_MARKER: marker } : process.env
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'], env })
      let out = ''
      const pids = await new Promise<number[]>((resolve) => {
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (d: string) => {
          out += d
          const g = /grandchild (\d+)/.exec(out)
          const c = /child (\d+)/m.exec(out.replace(/grandchild \d+/, ''))
          if (g && c) resolve([Number(g[1]), Number(c[1])])
        })
      })
      for (const p of pids) expect(alive(p)).toBe(true)
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(143)
      expect(out).toMatch(/Received SIGTERM: stopping \d+ child process/)
      for (const p of pids) expect(alive(p)).toBe(false)
      if (withCleanup) {
        expect(out).toMatch(/Ran 1 clean-up command/)
        expect(readFileSync(marker, 'utf8')).toBe('cleaned\n')
      } else expect(out).not.toMatch(/clean-up/)
      rmSync(path.dirname(marker), { recursive: true, force: true })
    },
  )
})
