'use strict'
// Game rules (recipes, smelting, fuels, drops, creatures, reach) as handed over by the Python side, which builds them from
// the same tables the offline simulator uses, so both worlds play by one rule book.
const fs = require('fs')

const EMPTY = {
  reach: 4.5, recipes: {}, smelting: {}, fuels: {}, drops: {}, creatures: {}, uses: [], weapons: {}, containers: ['chest', 'trapped_chest', 'barrel']
}

function loadRules (path) {
  if (!path) return { ...EMPTY, loaded: false }
  const data = JSON.parse(fs.readFileSync(path, 'utf8'))
  return { ...EMPTY, ...data, loaded: true }
}

/** The first recipe whose inputs `have` covers `times` over, else the first one (to report what is missing). */
function recipeFor (rules, item, have, times = 1) {
  const options = rules.recipes[item] || []
  for (const r of options) {
    if (r.inputs.every(([name, n]) => (have[name] || 0) >= n * times)) return r
  }
  return options[0] || null
}

module.exports = { loadRules, recipeFor }
