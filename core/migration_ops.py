"""Migration operations shared by the apps' migrations.

Imported by committed migrations: change what these do only in a way every migration that used them
would still accept, or give the new behaviour a new name.
"""

from django.db import migrations, models


def move_content_types(*, model_names: tuple[str, ...], source: str, target: str) -> migrations.RunPython:
    """The operation that moves the named models' content types from app `source` to `target` (and back).

    A model moved between apps with SeparateDatabaseAndState keeps its table; its content type (and so
    its permissions and their grants) should follow it rather than be left stale under the old label
    while post_migrate makes a second, empty one under the new.
    """

    def relabel(apps, schema_editor, old: str, new: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        db = schema_editor.connection.alias
        for model in model_names:
            moving = ContentType.objects.using(db).filter(app_label=old, model=model).first()
            if moving is None:
                continue  # a fresh database: post_migrate creates the row under the new label
            already = ContentType.objects.using(db).filter(app_label=new, model=model).first()
            if already is not None:
                # Made by a post_migrate in between (a migration run back and forth). Replace it only
                # when nobody was granted its permissions; otherwise both stay and nothing granted is lost.
                granted = Permission.objects.using(db).filter(content_type=already)
                if granted.filter(models.Q(user__isnull=False) | models.Q(group__isnull=False)).exists():
                    continue
                already.delete()
            moving.app_label = new
            moving.save(update_fields=["app_label"])

    return migrations.RunPython(
        lambda apps, schema_editor: relabel(apps, schema_editor, source, target),
        lambda apps, schema_editor: relabel(apps, schema_editor, target, source),
    )
