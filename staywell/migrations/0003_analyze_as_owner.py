"""``staywell_analyze(tables)``: planner statistics refreshed by the app role.

Least privilege (``staywell.dbroles``): only a table's owner may ANALYZE it, and the app
role owns nothing, so ``seed_demo``, ``generate_pool`` and ``generate_claims`` (which
ANALYZE inside their own transaction, their rows not committed yet) call this function,
which runs as its owner (SECURITY DEFINER) and does nothing but ANALYZE: the named tables
of the public schema, or all of them.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION staywell_analyze(tables text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    name text;
BEGIN
    IF tables IS NULL THEN
        FOR name IN SELECT c.relname FROM pg_class c
                     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                       AND pg_has_role(c.relowner, 'USAGE')
        LOOP
            EXECUTE format('ANALYZE public.%I', name);
        END LOOP;
    ELSE
        FOREACH name IN ARRAY tables LOOP
            EXECUTE format('ANALYZE public.%I', name);
        END LOOP;
    END IF;
END;
$$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS staywell_analyze(text[]);"


class Migration(migrations.Migration):
    dependencies = [("staywell", "0002_jobs")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
