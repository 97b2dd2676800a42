'use strict'
// The plugin's operations, shared by the admin channel (serve.js) and the in-game /causalmace command.
// Player operations act on the calling player and follow the game rules; admin operations build scenes.
const inv = require('./inventory')
const world = require('./world')
const { recipeFor } = require('./rules')

function createOps (serv, state) {
  const { rules, containers, plates, creatures } = state

  const playerNamed = (name) => {
    const p = serv.getPlayer(String(name))
    if (!p) throw new Error(`no player named '${name}'`)
    return p
  }
  const who = (ctx, args) => (ctx.player && !ctx.admin) ? ctx.player : playerNamed(args.player)
  const count = (args, key = 'count') => {
    const n = args[key] === undefined ? 1 : Number(args[key])
    if (!Number.isInteger(n) || n < 1) throw new Error(`${key} must be a positive integer, not '${args[key]}'`)
    return n
  }

  async function stationNear (player, names, what) {
    const found = await world.blocksNear(player, names, rules.reach)
    if (!found.length) throw new Error(`no ${what} within reach (${rules.reach} blocks)`)
    return found[0]
  }

  async function containerFor (player, args) {
    if (args.x !== undefined) {
      const pos = world.vec(args)
      const d = player.position.distanceTo(pos.offset(0.5, 0.5, 0.5))
      if (d > rules.reach) throw new Error(`container at ${pos} is ${d.toFixed(1)} blocks away, reach is ${rules.reach}`)
      const b = await player.world.getBlock(pos)
      if (!rules.containers.includes(b.name)) throw new Error(`no container at ${pos} (found ${b.name})`)
      return pos
    }
    return (await stationNear(player, rules.containers, args.container || 'container')).position
  }

  const playerOps = {
    async inventory (ctx, args) { return inv.counts(who(ctx, args)) },

    async craft (ctx, args) {
      const player = who(ctx, args)
      const times = count(args)
      if (!rules.loaded) throw new Error('no rules loaded: start the server with --rules')
      const recipe = recipeFor(rules, args.item, inv.counts(player), times)
      if (!recipe) throw new Error(`no recipe for '${args.item}'`)
      if (recipe.station) await stationNear(player, [recipe.station], recipe.station)
      inv.transaction(serv, player, () => {
        for (const [name, n] of recipe.inputs) inv.removeItems(serv, player, name, n * times)
        return inv.addItems(serv, player, args.item, recipe.count * times)
      })
      return { item: args.item, count: recipe.count * times, used: Object.fromEntries(recipe.inputs.map(([n, c]) => [n, c * times])) }
    },

    async smelt (ctx, args) {
      const player = who(ctx, args)
      const n = count(args)
      const fuel = args.fuel || 'coal'
      const output = rules.smelting[args.item]
      if (!output) throw new Error(`'${args.item}' cannot be smelted`)
      const perFuel = rules.fuels[fuel]
      if (!perFuel) throw new Error(`'${fuel}' is not a fuel`)
      await stationNear(player, ['furnace'], 'furnace')
      const fuelUsed = Math.ceil(n / perFuel)
      inv.transaction(serv, player, () => {
        inv.removeItems(serv, player, args.item, n)
        inv.removeItems(serv, player, fuel, fuelUsed)
        return inv.addItems(serv, player, output, n)
      })
      return { item: output, count: n, fuel, fuelUsed }
    },

    async deposit (ctx, args) {
      const player = who(ctx, args)
      const n = count(args)
      const pos = await containerFor(player, args)
      inv.transaction(serv, player, () => { inv.removeItems(serv, player, args.item, n); return 0 })
      containers.put(pos, inv.itemInfo(serv, args.item).name, n)
      return { position: pos.toArray(), contents: containers.contents(pos) }
    },

    async withdraw (ctx, args) {
      const player = who(ctx, args)
      const n = count(args)
      const pos = await containerFor(player, args)
      const name = inv.itemInfo(serv, args.item).name
      containers.take(pos, name, n)
      try {
        inv.transaction(serv, player, () => inv.addItems(serv, player, name, n))
      } catch (err) {
        containers.put(pos, name, n)
        throw err
      }
      return { position: pos.toArray(), contents: containers.contents(pos) }
    },

    async chest (ctx, args) {
      if (ctx.admin && args.x !== undefined) {
        const pos = world.vec(args)
        return { position: pos.toArray(), contents: containers.contents(pos) }
      }
      const pos = await containerFor(who(ctx, args), args)
      return { position: pos.toArray(), contents: containers.contents(pos) }
    },

    async transfer (ctx, args) {
      const from = who(ctx, args)
      const to = playerNamed(args.to)
      const n = count(args)
      const limit = rules.handoverReach || rules.reach + 1.5
      const d = from.position.distanceTo(to.position)
      if (d > limit) throw new Error(`${to.username} is ${d.toFixed(1)} blocks away, hand over within ${limit}`)
      const name = inv.itemInfo(serv, args.item).name
      inv.transaction(serv, from, () => { inv.removeItems(serv, from, name, n); return 0 })
      try {
        inv.transaction(serv, to, () => inv.addItems(serv, to, name, n))
      } catch (err) {
        inv.addItems(serv, from, name, n)
        throw new Error(`${to.username}: ${err.message}`)
      }
      return { item: name, count: n, to: to.username }
    },

    async plates () { return plates.pressed() },

    async use_on (ctx, args) { // eslint-disable-line camelcase
      return creatures.use(who(ctx, args), args.id, String(args.item), rules.entityReach || 3)
    },

    async block (ctx, args) { return world.getBlock(serv, args) }
  }

  const adminOps = {
    async players () {
      return serv.players.map(p => ({ name: p.username, position: p.position.toArray(), gameMode: p.gameMode, health: p.health, ready: Boolean(p.loginDone) }))
    },

    async give (ctx, args) {
      const player = playerNamed(args.player)
      const left = inv.addItems(serv, player, args.item, count(args))
      return { added: count(args) - left, inventory: inv.counts(player) }
    },

    async clear (ctx, args) {
      const player = playerNamed(args.player)
      for (const [name, n] of Object.entries(inv.counts(player))) {
        if (!args.item || args.item === name) inv.removeItems(serv, player, name, n)
      }
      return inv.counts(player)
    },

    async tp (ctx, args) {
      const player = playerNamed(args.player)
      const { Vec3 } = require('vec3')
      await player.teleport(new Vec3(Number(args.x), Number(args.y), Number(args.z)))
      return player.position.toArray()
    },

    async setblock (ctx, args) { return world.setBlock(serv, args, args.name, args.properties) },

    async fill (ctx, args) { return world.fill(serv, args.from, args.to, args.name, args.properties) },

    async chest_set (ctx, args) { // eslint-disable-line camelcase
      const pos = world.vec(args)
      containers.set(pos, args.items || {})
      return { position: pos.toArray(), contents: containers.contents(pos) }
    },

    async containers () { return containers.all() },

    async summon (ctx, args) { return creatures.summon(String(args.name), [Number(args.x), Number(args.y), Number(args.z)]) },

    async creatures () { return creatures.alive() },

    async despawn (ctx, args) { return creatures.despawn(args.ids || []) },

    async command (ctx, args) {
      const line = String(args.line || '').replace(/^\//, '')
      const out = await serv.commands.use(line, ctx.player ? { player: ctx.player } : {}, true)
      return { output: out || '' }
    }
  }

  return { playerOps, adminOps }
}

module.exports = { createOps }
