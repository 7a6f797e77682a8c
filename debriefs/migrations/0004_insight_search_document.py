"""The learning library's stored search document (issue 9): a tsvector column on the insight, kept
up to date by PostgreSQL and searched through a GIN index, instead of a document built for every
row at query time.

Triggers rather than services keep it right, because insights, their themes and theme names are
also written by the admin, the scale-data COPY and bulk updates:
- a row's own title or text changes (or anything writes the column itself): recomputed before the
  write;
- themes are added to or taken off insights: one UPDATE per statement for the insights concerned;
- a theme is renamed: its insights are recomputed.
SQLite (the embedded default) gets the column but no triggers or index: it searches with LIKE.

Also an index in the library's default order (newest first), which had none.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

# The same document `SearchVector("title", weight="A") + SearchVector("body", weight="B") +
# SearchVector(<theme names>, weight="C")` (config "english") used to build at query time.
SEARCH_DOCUMENT_SQL = """
CREATE OR REPLACE FUNCTION debriefs_insight_search_document(insight_id bigint, title text, body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE((
               SELECT string_agg(theme.name, ' ' ORDER BY theme.name)
               FROM debriefs_insight_themes tag
               JOIN placements_theme theme ON theme.id = tag.theme_id
               WHERE tag.insight_id = debriefs_insight_search_document.insight_id
           ), '')), 'C')
$$;

CREATE OR REPLACE FUNCTION debriefs_insight_search_document_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := debriefs_insight_search_document(NEW.id, NEW.title, NEW.body);
    RETURN NEW;
END
$$;

-- Other columns (published_at, attribution...) do not change the document: no work for them.
CREATE TRIGGER debriefs_insight_search_document
    BEFORE INSERT OR UPDATE OF title, body, search_document ON debriefs_insight
    FOR EACH ROW EXECUTE FUNCTION debriefs_insight_search_document_set();

-- Setting the column to NULL is enough: the trigger above recomputes it.
CREATE OR REPLACE FUNCTION debriefs_insight_themes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE debriefs_insight SET search_document = NULL
        WHERE id IN (SELECT insight_id FROM new_tags);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE debriefs_insight SET search_document = NULL
        WHERE id IN (SELECT insight_id FROM old_tags);
    ELSE
        UPDATE debriefs_insight SET search_document = NULL
        WHERE id IN (SELECT insight_id FROM old_tags UNION SELECT insight_id FROM new_tags);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER debriefs_insight_themes_added
    AFTER INSERT ON debriefs_insight_themes REFERENCING NEW TABLE AS new_tags
    FOR EACH STATEMENT EXECUTE FUNCTION debriefs_insight_themes_changed();
CREATE TRIGGER debriefs_insight_themes_removed
    AFTER DELETE ON debriefs_insight_themes REFERENCING OLD TABLE AS old_tags
    FOR EACH STATEMENT EXECUTE FUNCTION debriefs_insight_themes_changed();
CREATE TRIGGER debriefs_insight_themes_moved
    AFTER UPDATE ON debriefs_insight_themes REFERENCING OLD TABLE AS old_tags NEW TABLE AS new_tags
    FOR EACH STATEMENT EXECUTE FUNCTION debriefs_insight_themes_changed();

CREATE OR REPLACE FUNCTION debriefs_theme_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE debriefs_insight SET search_document = NULL
    WHERE id IN (SELECT insight_id FROM debriefs_insight_themes WHERE theme_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER debriefs_theme_renamed
    AFTER UPDATE OF name ON placements_theme
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION debriefs_theme_renamed();

-- The insights already published.
UPDATE debriefs_insight SET search_document = NULL;
"""

SEARCH_DOCUMENT_REVERSE_SQL = """
DROP TRIGGER IF EXISTS debriefs_theme_renamed ON placements_theme;
DROP TRIGGER IF EXISTS debriefs_insight_themes_added ON debriefs_insight_themes;
DROP TRIGGER IF EXISTS debriefs_insight_themes_removed ON debriefs_insight_themes;
DROP TRIGGER IF EXISTS debriefs_insight_themes_moved ON debriefs_insight_themes;
DROP TRIGGER IF EXISTS debriefs_insight_search_document ON debriefs_insight;
DROP FUNCTION IF EXISTS debriefs_theme_renamed();
DROP FUNCTION IF EXISTS debriefs_insight_themes_changed();
DROP FUNCTION IF EXISTS debriefs_insight_search_document_set();
DROP FUNCTION IF EXISTS debriefs_insight_search_document(bigint, text, text);
"""

INDEX = django.contrib.postgres.indexes.GinIndex(fields=["search_document"], name="debriefs_insight_search")


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def _index(add: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            model = apps.get_model("debriefs", "Insight")
            (schema_editor.add_index if add else schema_editor.remove_index)(model, INDEX)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("debriefs", "0003_theme_rollup"),
        ("placements", "0005_slot_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="insight",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(
            _on_postgresql(SEARCH_DOCUMENT_SQL), _on_postgresql(SEARCH_DOCUMENT_REVERSE_SQL)
        ),
        migrations.AddIndex(
            model_name="insight",
            index=models.Index(fields=["-published_at", "-id"], name="debriefs_insight_newest"),
        ),
        # A GIN index is PostgreSQL's own: SQLite keeps the index in the migration state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="insight", index=INDEX)],
            database_operations=[migrations.RunPython(_index(add=True), _index(add=False))],
        ),
    ]
