-- Migration vesting 0012_line_references, forward. A snapshot: never edited later.
-- A vesting line's employee, run and settling run are checked once per statement, for
-- every line the statement wrote, instead of by one foreign-key check per line at commit
-- (the July 1 rollover writes a line for every employee of the pool in one statement).
-- The referenced side: deleting an employee or a run that lines point at is refused.
-- Writers of lines and deleters of employees or runs meet on one advisory lock (shared
-- by writers, so they never wait for each other; exclusive for a delete, which is rare):
-- a delete waits for the lines being written to commit, then sees them; lines written
-- after a delete committed see the row gone. Locking each row pointed at, as a foreign
-- key does, cost 77,000 row locks per rollover.

CREATE FUNCTION vesting_line_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('vesting-line-references', 0));
    SELECT n.employee_id INTO missing FROM new_lines n
     WHERE NOT EXISTS (SELECT 1 FROM accounts_employee e WHERE e.id = n.employee_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "vesting_vestingline" violates foreign key constraint "vesting_line_employee"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (employee_id)=(%s) is not present in table "accounts_employee".', missing);
    END IF;
    SELECT v.r INTO missing
      FROM (SELECT run_id AS r FROM new_lines UNION SELECT settled_run_id FROM new_lines) AS v
     WHERE v.r IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM vesting_vestingrun r WHERE r.id = v.r)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "vesting_vestingline" violates foreign key constraint "vesting_line_run"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (run_id or settled_run_id)=(%s) is not present in table "vesting_vestingrun".', missing);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vesting_line_references_insert
    AFTER INSERT ON vesting_vestingline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_references();

CREATE TRIGGER vesting_line_references_update
    AFTER UPDATE ON vesting_vestingline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_references();

CREATE FUNCTION vesting_line_referenced_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('vesting-line-references', 0));
    RETURN NULL;
END;
$$;

CREATE FUNCTION vesting_line_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held bigint;
BEGIN
    IF TG_TABLE_NAME = 'accounts_employee' THEN
        SELECT l.employee_id INTO held FROM vesting_vestingline l
         WHERE l.employee_id IN (SELECT id FROM old_rows) LIMIT 1;
    ELSE
        SELECT o.id INTO held FROM old_rows o
         WHERE EXISTS (SELECT 1 FROM vesting_vestingline l
                        WHERE l.run_id = o.id OR l.settled_run_id = o.id)
         LIMIT 1;
    END IF;
    IF held IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "vesting_line_references" on table "vesting_vestingline"', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "vesting_vestingline".', held);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vesting_line_referenced_employee_lock
    BEFORE DELETE ON accounts_employee
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_referenced_lock();

CREATE TRIGGER vesting_line_referenced_employee
    AFTER DELETE ON accounts_employee
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_referenced();

CREATE TRIGGER vesting_line_referenced_run_lock
    BEFORE DELETE ON vesting_vestingrun
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_referenced_lock();

CREATE TRIGGER vesting_line_referenced_run
    AFTER DELETE ON vesting_vestingrun
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_line_referenced();
