"""SpiffArena's side of ``spiffarena_anchor.py``: run by the Python of SpiffArena's own virtualenv, never certflow's.

    python _spiffarena_worker.py DIAGRAM_DIR PROCESS STEPS_JSON WORKDIR

Sets up its backend as its unit tests do (``unit_testing`` configuration, the Flask app of ``create_app`` and its
app context, the schema by its Alembic migrations) on a SQLite file in WORKDIR, with the diagram and its forms as a
process model there, and answers with a JSON line ``{"ready": what was set up}``, then ``{"writes": ...}``, what one
untimed case wrote (``_writes.py``). Then for each line ``N`` read from stdin it runs N cases and answers
``{"wall": s, "cpu": s}`` a case. A case is what its API does:
- create the instance (``ProcessInstanceService.create_process_instance_from_process_model_identifier``, committed)
  and run it (``run_process_instance_with_runtime``: dequeued, ``do_engine_steps(save=True)``) up to the first task;
- for each user task, as ``task_submit`` (``_task_submit_shared``) does: the permission check, the instance
  dequeued, migrated if need be, loaded (``ProcessInstanceRuntime``), the task found by its id and its open human
  task row, then ``ProcessInstanceService.complete_form_task`` with the form data (the data checked against the
  form: ``SPIFFWORKFLOW_BACKEND_VALIDATE_USER_TASK_DATA_AGAINST_SCHEMA`` is on, as certflow always checks), which
  completes it and runs the engine on to the next task, saving.

Its modules are imported by name (``importlib``) so that certflow's type checker, which has none of them, need not
follow them.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _writes import Writes


def module(name: str) -> Any:
    return importlib.import_module(name)


def setup(diagram: Path, process: str, workdir: Path) -> tuple[Any, Any]:
    """The app in its context, the schema migrated, the process model saved, and the user who works the cases."""
    specs = workdir / "process_models"
    specs.mkdir()
    os.environ.update({
        "SPIFFWORKFLOW_BACKEND_ENV": "unit_testing",
        "FLASK_SESSION_SECRET_KEY": uuid.uuid4().hex,
        "SPIFFWORKFLOW_BACKEND_RUN_BACKGROUND_SCHEDULER_IN_CREATE_APP": "false",
        "SPIFFWORKFLOW_BACKEND_LOG_TO_FILE": "false",
        "SPIFFWORKFLOW_BACKEND_DATABASE_TYPE": "sqlite",
        "SPIFFWORKFLOW_BACKEND_DATABASE_URI": f"sqlite:///{workdir / 'arena.db'}",
        "SPIFFWORKFLOW_BACKEND_VALIDATE_USER_TASK_DATA_AGAINST_SCHEMA": "true",
        "FLASK_INSTANCE_PATH": str(workdir / "instance"),
    })
    backend = module("spiffworkflow_backend")
    app = backend.create_app().app
    # The unit_testing configuration fixes the process models' folder inside its checkout: this run's own instead.
    app.config["SPIFFWORKFLOW_BACKEND_BPMN_SPEC_ABSOLUTE_DIR"] = str(specs)
    context = app.app_context()
    context.push()
    migrations = Path(backend.__file__).resolve().parents[2] / "migrations"
    with contextlib.redirect_stderr(io.StringIO()):  # its migrations log each revision; a failure still raises
        module("flask_migrate").upgrade(directory=str(migrations))

    process_group = module("spiffworkflow_backend.models.process_group").ProcessGroup
    process_model_info = module("spiffworkflow_backend.models.process_model").ProcessModelInfo
    models = module("spiffworkflow_backend.services.process_model_service").ProcessModelService
    spec_files = module("spiffworkflow_backend.services.spec_file_service").SpecFileService
    # As its tests' loader (ExampleDataLoader.create_spec) does: the files saved and the reference caches filled.
    models.add_process_group(process_group(id="bench", display_name="bench"))
    model = process_model_info(id=f"bench/{process}", display_name=process, description=process)
    models.add_process_model(model)
    references = []
    for path in sorted(diagram.iterdir()):
        _, found = spec_files.update_file(process_model_info=model, file_name=path.name, binary_data=path.read_bytes(),
                                          update_process_cache_only=True)
        references += found
    model.primary_process_id, model.primary_file_name = process, f"{process}.bpmn"
    models.save_process_model(model)
    for reference in references:
        spec_files.update_caches_except_process(reference)
    module("spiffworkflow_backend.models.db").db.session.commit()
    user = module("spiffworkflow_backend.services.user_service").UserService.create_user("clerk", "internal", "clerk")
    return model, user


def one_case(model_id: str, user: Any, steps: list[tuple[str, dict[str, Any]]]) -> None:
    db = module("spiffworkflow_backend.models.db").db
    human_tasks = module("spiffworkflow_backend.models.human_task").HumanTaskModel
    authorization = module("spiffworkflow_backend.services.authorization_service").AuthorizationService
    queue = module("spiffworkflow_backend.services.process_instance_queue_service").ProcessInstanceQueueService
    migrator = module("spiffworkflow_backend.data_migrations.process_instance_migrator").ProcessInstanceMigrator
    runtime_class = module("spiffworkflow_backend.services.process_instance_runtime").ProcessInstanceRuntime
    service = module("spiffworkflow_backend.services.process_instance_service").ProcessInstanceService

    instance = service.create_process_instance_from_process_model_identifier(model_id, user)
    service.run_process_instance_with_runtime(instance)
    for name, data in steps:
        [human_task] = human_tasks.query.filter_by(process_instance_id=instance.id, completed=False).all()
        assert human_task.task_name == name, (human_task.task_name, name)
        authorization.assert_user_can_complete_human_task(instance.id, human_task.task_id, user)
        with queue.dequeued(instance, max_attempts=3):
            if migrator.run(instance):
                db.session.refresh(instance)
            runtime = runtime_class(instance, workflow_completed_handler=service.schedule_next_process_model_cycle)
            spiff_task = runtime.bpmn_process_instance.get_task_from_id(uuid.UUID(human_task.task_id))
            service.complete_form_task(runtime=runtime, spiff_task=spiff_task, data=data, user=user,
                                       human_task=human_task, execution_mode="synchronous")
    assert instance.status == "complete", instance.status


def main() -> None:
    diagram, process, steps, workdir = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), Path(sys.argv[4])
    model, user = setup(diagram, process, workdir)
    config = module("flask").current_app.config
    spiff = importlib.metadata.version("SpiffWorkflow")
    print(json.dumps({"ready": f"SpiffWorkflow {spiff}, database {config['SQLALCHEMY_DATABASE_URI']}, process model "
                               f"{model.id} in {config['SPIFFWORKFLOW_BACKEND_BPMN_SPEC_ABSOLUTE_DIR']}"}), flush=True)
    engine = module("spiffworkflow_backend.models.db").db.engine
    with Writes(engine) as writes:  # what one case writes, counted on a case of its own, untimed
        one_case(model.id, user, steps)
    print(json.dumps({"writes": f"a case: {writes.per_case(1)}"}), flush=True)
    for line in sys.stdin:
        cases = int(line)
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(cases):
            one_case(model.id, user, steps)
        print(json.dumps({"wall": (time.perf_counter() - started) / cases,
                          "cpu": (time.process_time() - cpu_started) / cases}), flush=True)


if __name__ == "__main__":
    main()
