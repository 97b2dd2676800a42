'use strict'
// Levers, buttons, wooden doors, trapdoors and fence gates switched by hand as in the real game: the stock server
// has no interaction for them, so right-clicking one changed nothing. Iron doors and trapdoors stay shut (redstone
// only); a button springs back after its press time.
const { Vec3 } = require('vec3')

function kindOf (name) {
  if (name === 'lever') return 'lever'
  if (name.endsWith('_button')) return 'button'
  if (name.startsWith('iron_')) return null
  if (name.endsWith('_door')) return 'door'
  if (name.endsWith('_trapdoor')) return 'trapdoor'
  if (name.endsWith('_fence_gate')) return 'gate'
  return null
}

const buttonMs = (name) => (name === 'stone_button' || name === 'polished_blackstone_button' ? 1000 : 1500)

function install (serv) {
  const Block = require('prismarine-block')(serv.registry)
  const stateWith = (block, changes) => {
    const props = {}
    for (const [k, v] of Object.entries({ ...block.getProperties(), ...changes })) props[k] = String(v)
    return Block.fromProperties(block.name, props, 0).stateId
  }
  const set = async (world, pos, block, changes) => serv.setBlock(world, pos, stateWith(block, changes))

  async function toggle (world, pos) {
    const block = await world.getBlock(pos)
    const kind = kindOf(block.name)
    if (!kind) return null
    const props = block.getProperties()
    if (kind === 'lever') {
      await set(world, pos, block, { powered: !props.powered })
      return !props.powered
    }
    if (kind === 'button') {
      await set(world, pos, block, { powered: true })
      setTimeout(async () => {
        const now = await world.getBlock(pos)
        if (now.name === block.name && now.getProperties().powered) await set(world, pos, now, { powered: false })
      }, buttonMs(block.name))
      return true
    }
    await set(world, pos, block, { open: !props.open })
    if (kind === 'door') { // both halves of a door swing together
      const other = pos.offset(0, props.half === 'upper' ? -1 : 1, 0)
      const twin = await world.getBlock(other)
      if (twin.name === block.name) await set(world, other, twin, { open: !props.open })
    }
    return !props.open
  }

  for (const b of serv.registry.blocksArray) {
    if (!kindOf(b.name)) continue
    serv.onBlockInteraction(b.name, async ({ block, player }) => {
      await toggle(player.world, new Vec3(block.position.x, block.position.y, block.position.z))
      return true // the click switched the block: place nothing
    })
  }
  return { toggle }
}

module.exports = { install, kindOf }
