#!/usr/bin/env node
'use strict'
// Host for mineflayer bots driven from Python: one node process, many bots, JSON-line requests on CAUSALMACE_RPC_FD.
// Every request names its bot; long actions take a timeout (ms) after which they are stopped and fail.
const mineflayer = require('mineflayer')
const { pathfinder, Movements, goals } = require('mineflayer-pathfinder')
const { Vec3 } = require('vec3')
const { serveRpc } = require('./lib/rpc')

const REPLY_PREFIX = '[causalmace] '
const bots = new Map()
let rpc = null
let pluginReq = 0

const vec = (a) => new Vec3(Number(a.x), Number(a.y), Number(a.z))
const arr = (v) => (v ? [v.x, v.y, v.z] : null)

function botNamed (name) {
  const b = bots.get(name)
  if (!b) throw new Error(`no bot named '${name}'`)
  if (b.ended) throw new Error(`bot '${name}' is disconnected (${b.endReason})`)
  return b
}

/** Race `promise` against a timer; on timeout run `onTimeout` (to stop the action) and fail. */
function withTimeout (promise, ms, what, onTimeout = () => {}) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      try { onTimeout() } catch (e) {}
      reject(new Error(`${what} timed out after ${ms} ms`))
    }, ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

/** Stop walking and digging at once (pathfinder.stop() would first finish the step it is on). */
function halt (bot) {
  bot.pathfinder.setGoal(null)
  bot.stopDigging()
  bot.clearControlStates()
}

function inventoryCounts (bot) {
  const out = {}
  for (const it of bot.inventory.items()) out[it.name] = (out[it.name] || 0) + it.count
  return out
}

function blockInfo (block) {
  if (!block) return null
  return { name: block.name, stateId: block.stateId, properties: block.getProperties(), position: arr(block.position) }
}

function entityInfo (bot, e) {
  return {
    id: e.id,
    type: e.type,
    name: e.name,
    username: e.username || null,
    position: arr(e.position),
    distance: bot.entity ? e.position.distanceTo(bot.entity.position) : null
  }
}

const ops = {
  async join ({ name, host = '127.0.0.1', port, version = '1.19.2', timeout = 20000, allowDig = false, allowPlace = false, thinkMs = 5000 }) {
    if (bots.has(name) && !bots.get(name).ended) throw new Error(`bot '${name}' already joined`)
    const bot = mineflayer.createBot({ username: name, host, port, version, auth: 'offline', hideErrors: true, checkTimeoutInterval: 60000 })
    const entry = { bot, ended: false, endReason: null, messages: [] }
    bots.set(name, entry)
    bot.loadPlugin(pathfinder)
    bot.on('messagestr', (msg, position) => {
      if (msg.startsWith(REPLY_PREFIX)) return
      entry.messages.push({ text: msg, position, time: Date.now() })
      if (entry.messages.length > 200) entry.messages.shift()
    })
    bot.on('kicked', (reason) => { entry.endReason = 'kicked: ' + String(reason); rpc?.emit('kicked', { bot: name, reason: String(reason) }) })
    bot.on('end', (reason) => {
      entry.ended = true
      entry.endReason = entry.endReason || String(reason)
      rpc?.emit('end', { bot: name, reason: entry.endReason })
    })
    bot.on('error', (err) => rpc?.emit('error', { bot: name, error: err.message }))
    bot.on('death', () => rpc?.emit('death', { bot: name }))
    try {
      await withTimeout(new Promise((resolve, reject) => {
        bot.once('spawn', resolve)
        bot.once('end', (r) => reject(new Error(`disconnected before spawning: ${entry.endReason || r}`)))
      }), timeout, `join of ${name}`, () => bot.quit())
    } catch (err) {
      bots.delete(name)
      throw err
    }
    const moves = new Movements(bot)
    moves.canDig = Boolean(allowDig)
    moves.allow1by1towers = false
    moves.allowParkour = false
    if (!allowPlace) moves.scafoldingBlocks = [] // else a walk spends the bot's own dirt on bridges and pillars
    bot.pathfinder.setMovements(moves)
    bot.pathfinder.thinkTimeout = Number(thinkMs)
    return { entityId: bot.entity.id, position: arr(bot.entity.position), version: bot.version }
  },

  async quit ({ bot: name }) {
    const entry = bots.get(name)
    if (!entry) return false
    bots.delete(name)
    if (entry.ended) return true
    await withTimeout(new Promise((resolve) => { entry.bot.once('end', resolve); entry.bot.quit() }), 3000, 'quit')
      .catch(() => entry.bot._client.end())
    return true
  },

  async status ({ bot: name }) {
    const { bot } = botNamed(name)
    return {
      position: arr(bot.entity.position),
      health: bot.health,
      food: bot.food,
      gameMode: bot.game.gameMode,
      held: bot.heldItem ? bot.heldItem.name : null,
      inventory: inventoryCounts(bot)
    }
  },

  async position ({ bot: name }) { return arr(botNamed(name).bot.entity.position) },

  async inventory ({ bot: name }) { return inventoryCounts(botNamed(name).bot) },

  async players ({ bot: name }) {
    const { bot } = botNamed(name)
    const out = {}
    for (const [u, p] of Object.entries(bot.players)) out[u] = { visible: Boolean(p.entity), position: p.entity ? arr(p.entity.position) : null }
    return out
  },

  async entities ({ bot: name, radius = 32, match = null }) {
    const { bot } = botNamed(name)
    return Object.values(bot.entities)
      .filter(e => e !== bot.entity && e.position.distanceTo(bot.entity.position) <= radius)
      .filter(e => !match || e.name === match || e.username === match)
      .map(e => entityInfo(bot, e))
      .sort((a, b) => a.distance - b.distance)
  },

  /** Where another player is, waiting up to `timeout` ms for its entity to come into view. */
  async find_player ({ bot: name, player, timeout = 3000 }) { // eslint-disable-line camelcase
    const { bot } = botNamed(name)
    const deadline = Date.now() + timeout
    while (!bot.players[player]?.entity) {
      if (Date.now() > deadline) throw new Error(`${player} is not in view`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return arr(bot.players[player].entity.position)
  },

  async messages ({ bot: name, since = 0 }) {
    return botNamed(name).messages.filter(m => m.time > since)
  },

  async chat ({ bot: name, text }) {
    botNamed(name).bot.chat(String(text))
    return true
  },

  async goto ({ bot: name, x, y, z, range = 1, timeout = 60000 }) {
    const { bot } = botNamed(name)
    const goal = range > 0 ? new goals.GoalNear(Number(x), Number(y), Number(z), Number(range)) : new goals.GoalBlock(Number(x), Number(y), Number(z))
    await withTimeout(bot.pathfinder.goto(goal), timeout, 'goto', () => halt(bot))
    return arr(bot.entity.position)
  },

  async stop ({ bot: name }) {
    halt(botNamed(name).bot)
    return true
  },

  async look ({ bot: name, x, y, z }) {
    await botNamed(name).bot.lookAt(vec({ x, y, z }), true)
    return true
  },

  async block ({ bot: name, x, y, z }) {
    return blockInfo(botNamed(name).bot.blockAt(vec({ x, y, z })))
  },

  async dig ({ bot: name, x, y, z, timeout = 30000 }) {
    const { bot } = botNamed(name)
    const block = bot.blockAt(vec({ x, y, z }))
    if (!block) throw new Error(`block at ${x},${y},${z} is not loaded`)
    if (block.name === 'air') throw new Error(`nothing to dig at ${x},${y},${z}`)
    if (!bot.canDigBlock(block)) throw new Error(`cannot dig ${block.name} at ${x},${y},${z} (out of reach or undiggable)`)
    const before = inventoryCounts(bot)
    await withTimeout(bot.dig(block, true), timeout, 'dig', () => bot.stopDigging())
    await new Promise(resolve => setTimeout(resolve, 100))
    const after = inventoryCounts(bot)
    const gained = {}
    for (const [k, v] of Object.entries(after)) if (v > (before[k] || 0)) gained[k] = v - (before[k] || 0)
    return { block: block.name, gained }
  },

  async place ({ bot: name, item, x, y, z, timeout = 10000 }) {
    const { bot } = botNamed(name)
    const target = vec({ x, y, z })
    const here = bot.blockAt(target)
    if (!here) throw new Error(`block at ${x},${y},${z} is not loaded`)
    if (!['air', 'cave_air', 'water', 'lava', 'grass', 'tall_grass'].includes(here.name)) throw new Error(`${here.name} is already at ${x},${y},${z}`)
    const stack = bot.inventory.items().find(i => i.name === item)
    if (!stack) throw new Error(`no ${item} in inventory`)
    const faces = [[0, -1, 0], [0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1], [0, 0, -1]].map(f => new Vec3(...f))
    const ref = faces.map(f => bot.blockAt(target.plus(f))).find(b => b && b.boundingBox === 'block')
    if (!ref) throw new Error(`nothing to place ${item} against at ${x},${y},${z}`)
    if (bot.entity.position.offset(0, bot.entity.height, 0).distanceTo(target.offset(0.5, 0.5, 0.5)) > 5) throw new Error(`${x},${y},${z} is out of reach`)
    await bot.equip(stack, 'hand')
    await withTimeout(bot.placeBlock(ref, target.minus(ref.position)), timeout, 'place')
    return blockInfo(bot.blockAt(target))
  },

  async equip ({ bot: name, item, destination = 'hand' }) {
    const { bot } = botNamed(name)
    const stack = bot.inventory.items().find(i => i.name === item)
    if (!stack) throw new Error(`no ${item} in inventory`)
    await bot.equip(stack, destination)
    return true
  },

  async activate ({ bot: name, x, y, z }) {
    const { bot } = botNamed(name)
    const block = bot.blockAt(vec({ x, y, z }))
    if (!block) throw new Error(`block at ${x},${y},${z} is not loaded`)
    await bot.activateBlock(block)
    return blockInfo(block)
  },

  async attack ({ bot: name, id = null, match = null, radius = 6 }) {
    const { bot } = botNamed(name)
    const e = id !== null
      ? bot.entities[id]
      : bot.nearestEntity(en => en !== bot.entity && (en.name === match || en.username === match) && en.position.distanceTo(bot.entity.position) <= radius)
    if (!e) throw new Error(`no entity ${id ?? match} in range`)
    bot.attack(e)
    return entityInfo(bot, e)
  },

  async toss ({ bot: name, item, count = 1 }) {
    const { bot } = botNamed(name)
    const stack = bot.inventory.items().find(i => i.name === item)
    if (!stack) throw new Error(`no ${item} in inventory`)
    await bot.toss(stack.type, null, Number(count))
    return inventoryCounts(bot)
  },

  /** Run one plugin operation as this bot via `/causalmace`, and wait for its structured reply line. */
  async plugin ({ bot: name, op, args = {}, timeout = 5000 }) {
    const { bot } = botNamed(name)
    const req = ++pluginReq
    const line = `/causalmace ${op} ${JSON.stringify({ ...args, req })}`
    if (line.length > 256) throw new Error('plugin request longer than the 256-character command limit')
    let listener
    const reply = new Promise((resolve) => {
      listener = (msg) => {
        if (!msg.startsWith(REPLY_PREFIX)) return
        let data
        try { data = JSON.parse(msg.slice(REPLY_PREFIX.length)) } catch (e) { return }
        if (data.req === req) resolve(data)
      }
      bot.on('messagestr', listener)
    })
    bot.chat(line)
    try {
      const data = await withTimeout(reply, timeout, `plugin ${op}`)
      if (!data.ok) throw new Error(data.error)
      await new Promise(resolve => setImmediate(resolve))
      return data.result
    } finally {
      bot.removeListener('messagestr', listener)
    }
  },

  /** Escape hatch for experiments: run `code` as an async function body with `bot`, `Vec3` and `goals` in scope. */
  async eval ({ bot: name, code }) {
    const { bot } = botNamed(name)
    const fn = new Function('bot', 'Vec3', 'goals', `return (async () => { ${code} })()`) // eslint-disable-line no-new-func
    return fn(bot, Vec3, goals)
  },

  async list () {
    return [...bots.entries()].map(([n, e]) => ({ name: n, ended: e.ended, reason: e.endReason }))
  },

  async versions () {
    const v = (p) => require(p + '/package.json').version
    return { node: process.version, mineflayer: v('mineflayer'), 'mineflayer-pathfinder': v('mineflayer-pathfinder'), 'minecraft-data': v('minecraft-data'), 'minecraft-protocol': v('minecraft-protocol'), mineflayerPath: require.resolve('mineflayer') }
  },

  async shutdown () {
    await Promise.all([...bots.keys()].map(n => ops.quit({ bot: n }).catch(() => {})))
    setTimeout(() => process.exit(0), 20)
    return true
  }
}

async function quitAllAndExit () {
  await Promise.race([Promise.all([...bots.keys()].map(n => ops.quit({ bot: n }).catch(() => {}))), new Promise(r => setTimeout(r, 1500))])
  process.exit(0)
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, quitAllAndExit)
process.on('unhandledRejection', (err) => console.error('unhandled rejection:', err && err.stack))
rpc = serveRpc(ops, { onClose: quitAllAndExit })
if (!rpc) {
  console.error('bots.js is driven over CAUSALMACE_RPC_FD; start it from causalmace.envs.minecraft')
  process.exit(2)
}
rpc.emit('ready', { pid: process.pid })
