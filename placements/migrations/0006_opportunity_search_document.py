"""Browse's stored search document (issue 9): a tsvector column on the opportunity, kept up to date
by PostgreSQL and searched through a GIN index, instead of a document built for every row at
query time.

Triggers rather than services keep it right, because opportunities, their policy areas, theme
names and partners are also written by the admin, the scale-data COPY and bulk updates:
- a row's own searched columns change (or anything writes the column itself): recomputed before
  the write;
- policy areas are added to or taken off opportunities: one UPDATE per statement for the
  opportunities concerned;
- a theme is renamed, or a partner's name or town changes: their opportunities are recomputed.
SQLite (the embedded default) gets the column but no triggers or index: it searches with LIKE.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

# The same document browse used to build at query time (config "english"): title (A); summary and
# policy area names (B); what you will do, partner name, site address and partner's town (C).
SEARCH_DOCUMENT_SQL = """
CREATE OR REPLACE FUNCTION placements_opportunity_search_document(
    opportunity_id bigint, partner_id bigint, title text, summary text, what_you_will_do text,
    site_address text
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(summary, '') || ' ' || COALESCE((
               SELECT string_agg(theme.name, ' ' ORDER BY theme.name)
               FROM placements_opportunity_policy_areas tag
               JOIN placements_theme theme ON theme.id = tag.theme_id
               WHERE tag.opportunity_id = placements_opportunity_search_document.opportunity_id
           ), '')), 'B')
        || setweight(to_tsvector('english'::regconfig,
               COALESCE(what_you_will_do, '')
               || ' ' || COALESCE((SELECT partner.name FROM partners_partner partner
                                   WHERE partner.id = placements_opportunity_search_document.partner_id), '')
               || ' ' || COALESCE(site_address, '')
               || ' ' || COALESCE((SELECT partner.town FROM partners_partner partner
                                   WHERE partner.id = placements_opportunity_search_document.partner_id), '')
           ), 'C')
$$;

CREATE OR REPLACE FUNCTION placements_opportunity_search_document_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := placements_opportunity_search_document(
        NEW.id, NEW.partner_id, NEW.title, NEW.summary, NEW.what_you_will_do, NEW.site_address
    );
    RETURN NEW;
END
$$;

-- Other columns (status, host, dates...) do not change the document: no work for them.
CREATE TRIGGER placements_opportunity_search_document
    BEFORE INSERT OR UPDATE OF partner_id, title, summary, what_you_will_do, site_address, search_document
    ON placements_opportunity
    FOR EACH ROW EXECUTE FUNCTION placements_opportunity_search_document_set();

-- Setting the column to NULL is enough: the trigger above recomputes it.
CREATE OR REPLACE FUNCTION placements_opportunity_policy_areas_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE placements_opportunity SET search_document = NULL
        WHERE id IN (SELECT opportunity_id FROM new_tags);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE placements_opportunity SET search_document = NULL
        WHERE id IN (SELECT opportunity_id FROM old_tags);
    ELSE
        UPDATE placements_opportunity SET search_document = NULL
        WHERE id IN (SELECT opportunity_id FROM old_tags UNION SELECT opportunity_id FROM new_tags);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER placements_opportunity_policy_areas_added
    AFTER INSERT ON placements_opportunity_policy_areas REFERENCING NEW TABLE AS new_tags
    FOR EACH STATEMENT EXECUTE FUNCTION placements_opportunity_policy_areas_changed();
CREATE TRIGGER placements_opportunity_policy_areas_removed
    AFTER DELETE ON placements_opportunity_policy_areas REFERENCING OLD TABLE AS old_tags
    FOR EACH STATEMENT EXECUTE FUNCTION placements_opportunity_policy_areas_changed();
CREATE TRIGGER placements_opportunity_policy_areas_moved
    AFTER UPDATE ON placements_opportunity_policy_areas
    REFERENCING OLD TABLE AS old_tags NEW TABLE AS new_tags
    FOR EACH STATEMENT EXECUTE FUNCTION placements_opportunity_policy_areas_changed();

CREATE OR REPLACE FUNCTION placements_theme_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE placements_opportunity SET search_document = NULL
    WHERE id IN (SELECT opportunity_id FROM placements_opportunity_policy_areas WHERE theme_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER placements_theme_renamed
    AFTER UPDATE OF name ON placements_theme
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION placements_theme_renamed();

CREATE OR REPLACE FUNCTION placements_partner_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE placements_opportunity SET search_document = NULL WHERE partner_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER placements_partner_renamed
    AFTER UPDATE OF name, town ON partners_partner
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.town IS DISTINCT FROM NEW.town)
    EXECUTE FUNCTION placements_partner_renamed();

-- The opportunities already written.
UPDATE placements_opportunity SET search_document = NULL;
"""

SEARCH_DOCUMENT_REVERSE_SQL = """
DROP TRIGGER IF EXISTS placements_partner_renamed ON partners_partner;
DROP TRIGGER IF EXISTS placements_theme_renamed ON placements_theme;
DROP TRIGGER IF EXISTS placements_opportunity_policy_areas_added ON placements_opportunity_policy_areas;
DROP TRIGGER IF EXISTS placements_opportunity_policy_areas_removed ON placements_opportunity_policy_areas;
DROP TRIGGER IF EXISTS placements_opportunity_policy_areas_moved ON placements_opportunity_policy_areas;
DROP TRIGGER IF EXISTS placements_opportunity_search_document ON placements_opportunity;
DROP FUNCTION IF EXISTS placements_partner_renamed();
DROP FUNCTION IF EXISTS placements_theme_renamed();
DROP FUNCTION IF EXISTS placements_opportunity_policy_areas_changed();
DROP FUNCTION IF EXISTS placements_opportunity_search_document_set();
DROP FUNCTION IF EXISTS placements_opportunity_search_document(bigint, bigint, text, text, text, text);
"""

INDEX = django.contrib.postgres.indexes.GinIndex(fields=["search_document"], name="placements_opp_search")


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def _index(add: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            model = apps.get_model("placements", "Opportunity")
            (schema_editor.add_index if add else schema_editor.remove_index)(model, INDEX)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_profile_capacity_blackouts"),
        ("placements", "0005_slot_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(
            _on_postgresql(SEARCH_DOCUMENT_SQL), _on_postgresql(SEARCH_DOCUMENT_REVERSE_SQL)
        ),
        # A GIN index is PostgreSQL's own: SQLite keeps the index in the migration state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="opportunity", index=INDEX)],
            database_operations=[migrations.RunPython(_index(add=True), _index(add=False))],
        ),
    ]
