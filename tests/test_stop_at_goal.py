"""``limits.stop_at_goal``: a run may end once a subtask done finds the goal met, whatever work is left."""

from pathlib import Path
from typing import Any

from causalmace.config import load_config
from causalmace.runner import run_episode

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "villagerbench"


def result(suite: str, task: str, agents: int, *sets: str, method: str | None = None) -> dict[str, Any]:
    cfg = load_config(CONFIGS / f"{suite}.yaml", list(sets), method=method, task=task, agents=agents)
    return run_episode(cfg).result


def test_by_default_every_subtask_is_settled_after_the_goal_is_met() -> None:
    """task_17: the last scaffold block dug meets the goal; clear_scaffold then stores the dirt it held."""
    exact = ("llm.noise.spurious_edges=0", "llm.noise.missing_edges=0")
    on = result("construction", "task_17", 3, *exact, "limits.stop_at_goal=true")
    off = result("construction", "task_17", 3, *exact)
    assert off["stopped"] == "finished" and on["stopped"] == "goal"
    assert on["completed"] and off["completed"]
    assert on["makespan_s"] < off["makespan_s"] - 5.0 and on["actions"] < off["actions"]


def test_players_do_not_go_on_trying_after_the_last_room_opened() -> None:
    """escape_4r_1, 2 agents: a plate the team no longer needs was tried again and again until abandoned."""
    on = result("escape", "escape_4r_1", 2, "limits.stop_at_goal=true")
    off = result("escape", "escape_4r_1", 2)
    assert on["completed"] and on["makespan_s"] == off["makespan_s"]
    assert on["actions"] < off["actions"] and off["graph"]["subtasks_abandoned"] == 1


def test_a_finished_build_is_not_spoilt_by_work_the_noisy_plan_left_for_after() -> None:
    """task_89 with critical-path at edge noise 0.3: scaffolds whose edges the plan lacks go up after
    clear_scaffold and stay, and the finished build ends with a view hit rate of 0.93."""
    off = result("construction", "task_89", 3, method="critical-path")
    on = result("construction", "task_89", 3, "limits.stop_at_goal=true", method="critical-path")
    assert not off["completed"] and off["score"]["view_hit_rate"] < 1.0
    assert on["completed"] and on["stopped"] == "goal"
