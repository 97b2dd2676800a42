#!/usr/bin/env node
'use strict'
// Start a local flying-squid (offline mode, superflat, in-memory) with causalmace's plugin and print one
// machine-readable line `CAUSALMACE_READY {"port":..}` once players can join. With CAUSALMACE_RPC_FD set, the
// plugin's admin operations are also served as JSON lines on that fd. SIGTERM/SIGINT end the process.
const path = require('path')

function parseArgs (argv) {
  const opts = {
    host: process.env.CAUSALMACE_MC_HOST || '127.0.0.1',
    port: Number(process.env.CAUSALMACE_MC_PORT || 25565),
    version: process.env.CAUSALMACE_MC_VERSION || '1.19.2',
    maxPlayers: 16,
    viewDistance: 4,
    gameMode: 0,
    rules: process.env.CAUSALMACE_MC_RULES || null,
    ops: [],
    seed: 1
  }
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '')
    const val = argv[i + 1]
    i++
    if (key === 'host') opts.host = val
    else if (key === 'port') opts.port = Number(val)
    else if (key === 'version') opts.version = val
    else if (key === 'max-players') opts.maxPlayers = Number(val)
    else if (key === 'view-distance') opts.viewDistance = Number(val)
    else if (key === 'gamemode') opts.gameMode = { survival: 0, creative: 1, adventure: 2, spectator: 3 }[val] ?? Number(val)
    else if (key === 'rules') opts.rules = path.resolve(val)
    else if (key === 'ops') opts.ops = val.split(',').filter(Boolean)
    else if (key === 'seed') opts.seed = Number(val)
    else throw new Error(`unknown option --${key}`)
  }
  return opts
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const { createMCServer } = require('flying-squid')
  const serv = createMCServer({
    'online-mode': false,
    host: opts.host,
    port: opts.port,
    version: opts.version,
    'max-players': opts.maxPlayers,
    'view-distance': opts.viewDistance,
    motd: 'causalmace',
    logging: false,
    gameMode: opts.gameMode,
    difficulty: 0,
    kickTimeout: 30000,
    plugins: {},
    modpe: false,
    'everybody-op': false,
    'max-entities': 100,
    'player-list-text': { header: { text: 'causalmace' }, footer: { text: '' } },
    generation: { name: 'superflat', options: { seed: opts.seed } },
    // A debug hook stops the stock error plugin from adding two process listeners per join (a leak that warns
    // after ten joins); the single handlers below log errors instead.
    debug: () => {},
    worldFolder: undefined
  })
  serv.on('error', (err) => console.error('server error:', err && err.stack))
  await serv.waitForReady(20000)
  const { install } = require('./plugins/causalmace')
  const { ops } = install(serv, { rules: opts.rules })
  // Ops named with --ops get operator rights when they join (for scene building from a bot).
  // (login resets `op` to 'everybody-op' after 'newPlayer', so grant it once the player has spawned)
  serv.on('newPlayer', (player) => player.once('spawned', () => { if (opts.ops.includes(player.username)) player.op = true }))

  const { serveRpc } = require('./lib/rpc')
  const rpc = serveRpc({ ...ops, ping: async () => 'pong' })
  const ready = { port: serv.listeningPort ?? opts.port, host: opts.host, version: opts.version, pid: process.pid, ms: Date.now() - started }
  if (rpc) rpc.emit('ready', ready)
  process.stdout.write('CAUSALMACE_READY ' + JSON.stringify(ready) + '\n')
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => process.exit(0))
process.on('unhandledRejection', (err) => console.error('unhandled rejection:', err && err.stack))
process.on('uncaughtException', (err) => console.error('uncaught exception:', err && err.stack))
main().catch((err) => {
  console.error('CAUSALMACE_FAILED ' + (err && err.stack))
  process.exit(1)
})
