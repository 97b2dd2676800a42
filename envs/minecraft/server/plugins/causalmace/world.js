'use strict'
// Block reads and writes by name and properties, and searches around a player, for scene building and reach checks.
const { Vec3 } = require('vec3')

function vec (a) {
  if (Array.isArray(a)) return new Vec3(Number(a[0]), Number(a[1]), Number(a[2])).floored()
  return new Vec3(Number(a.x), Number(a.y), Number(a.z)).floored()
}

function blockState (serv, name, properties = {}) {
  const Block = require('prismarine-block')(serv.registry)
  const clean = String(name).replace(/^minecraft:/, '')
  if (!serv.registry.blocksByName[clean]) throw new Error(`unknown block '${name}'`)
  // fromProperties starts from all-zero state values; begin from the block's default state instead.
  const base = Block.fromStateId(serv.registry.blocksByName[clean].defaultState, 0).getProperties()
  const props = {}
  for (const [k, v] of Object.entries({ ...base, ...properties })) props[k] = typeof v === 'string' ? v : String(v)
  return Block.fromProperties(clean, props, 0).stateId
}

async function getBlock (serv, pos, world = serv.overworld) {
  const b = await world.getBlock(vec(pos))
  return { name: b.name, stateId: b.stateId, properties: b.getProperties(), position: [b.position.x, b.position.y, b.position.z] }
}

async function setBlock (serv, pos, name, properties, world = serv.overworld) {
  const p = vec(pos)
  await serv.setBlock(world, p, blockState(serv, name, properties))
  return getBlock(serv, p, world)
}

async function fill (serv, from, to, name, properties, world = serv.overworld) {
  const a = vec(from)
  const b = vec(to)
  const lo = new Vec3(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.min(a.z, b.z))
  const hi = new Vec3(Math.max(a.x, b.x), Math.max(a.y, b.y), Math.max(a.z, b.z))
  const volume = (hi.x - lo.x + 1) * (hi.y - lo.y + 1) * (hi.z - lo.z + 1)
  if (volume > 65536) throw new Error(`fill of ${volume} blocks is over the 65536 limit`)
  const stateId = blockState(serv, name, properties)
  for (let x = lo.x; x <= hi.x; x++) {
    for (let y = lo.y; y <= hi.y; y++) {
      for (let z = lo.z; z <= hi.z; z++) await serv.setBlock(world, new Vec3(x, y, z), stateId)
    }
  }
  return { count: volume }
}

/** Blocks named in `names` whose centre lies within `reach` of the player's feet, nearest first. */
async function blocksNear (player, names, reach) {
  const wanted = new Set(names)
  const c = player.position
  const r = Math.ceil(reach) + 1
  const found = []
  for (let x = Math.floor(c.x) - r; x <= Math.floor(c.x) + r; x++) {
    for (let y = Math.floor(c.y) - r; y <= Math.floor(c.y) + r; y++) {
      for (let z = Math.floor(c.z) - r; z <= Math.floor(c.z) + r; z++) {
        const d = c.distanceTo(new Vec3(x + 0.5, y + 0.5, z + 0.5))
        if (d > reach) continue
        const b = await player.world.getBlock(new Vec3(x, y, z))
        if (wanted.has(b.name)) found.push({ name: b.name, position: new Vec3(x, y, z), distance: d })
      }
    }
  }
  return found.sort((p, q) => p.distance - q.distance)
}

module.exports = { vec, blockState, getBlock, setBlock, fill, blocksNear }
