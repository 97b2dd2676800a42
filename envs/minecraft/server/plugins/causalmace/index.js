'use strict'
// causalmace's flying-squid plugin: rule-following craft/smelt/container/hand-over operations, creatures, pressure plates,
// scene-building helpers and fixes. Installed by serve.js once the stock plugins are up, so our commands win.
const { Containers } = require('./containers')
const { Creatures } = require('./creatures')
const { Plates } = require('./plates')
const { loadRules } = require('./rules')
const { createOps } = require('./ops')
const fixes = require('./fixes')
const toggles = require('./toggles')
const inv = require('./inventory')
const world = require('./world')

const REPLY_PREFIX = '[causalmace] '

function install (serv, options = {}) {
  const rules = loadRules(options.rules)
  const state = { rules, containers: new Containers(), plates: new Plates(serv), creatures: new Creatures(serv, rules) }
  const { playerOps, adminOps } = createOps(serv, state)

  fixes.markLoginDone(serv)
  fixes.fixPlayerList(serv)
  fixes.keepChunks(serv)
  fixes.chunksFollowTeleports(serv)
  fixes.fixGive(serv)
  fixes.quietContainers(serv, rules.containers)
  toggles.install(serv)

  serv.on('newPlayer', (player) => {
    player.on('move', ({ position }) => { state.plates.update(player, position).catch(() => {}) })
    player.once('disconnected', () => state.plates.forget(player))
    player.on('dug', (data) => onDug(serv, state, player, data))
    state.creatures.watch(player)
  })

  // In-game access: `/causalmace <op> <json args>`; the reply is one system line `[causalmace] {json}`.
  serv.commands.add({
    base: 'causalmace',
    info: 'causalmace plugin operations',
    usage: '/causalmace <op> [json]',
    onlyPlayer: true,
    parse (str) {
      const m = str.match(/^(\S+)(?: (.*))?$/)
      return m ? { op: m[1], raw: m[2] || '{}' } : false
    },
    async action ({ op, raw }, ctx) {
      let args = {}
      let reply
      try {
        args = JSON.parse(raw)
        const fn = playerOps[op] || (ctx.player.op ? adminOps[op] : null)
        if (!fn) throw new Error(adminOps[op] ? `'${op}' needs op` : `unknown op '${op}'`)
        reply = { req: args.req ?? null, ok: true, result: (await fn({ player: ctx.player }, args)) ?? null }
      } catch (err) {
        reply = { req: args.req ?? null, ok: false, error: err.message }
      }
      ctx.player.system({ text: REPLY_PREFIX + JSON.stringify(reply) })
    }
  })

  const admin = {}
  for (const [name, fn] of Object.entries({ ...playerOps, ...adminOps })) admin[name] = (args) => fn({ admin: true }, args)
  return { state, ops: admin }
}

/** Digging: drops go straight to the digger by the shared rule table (tool needed or not), and chests spill. */
function onDug (serv, state, player, data) {
  const name = data.block.name
  const rule = state.rules.drops[name]
  const have = inv.counts(player)
  const pos = data.position
  const spilled = state.containers.remove(pos)
  if (rule) {
    data.dropBlock = false
    const harvest = !rule.tools || rule.tools.some(t => have[t] > 0) // as the offline simulator decides
    if (harvest) for (const [item, n] of rule.drops) if (serv.registry.itemsByName[item]) inv.addItems(serv, player, item, n)
  }
  for (const [item, n] of Object.entries(spilled)) inv.addItems(serv, player, item, n)
}

module.exports = { install, REPLY_PREFIX, world }
