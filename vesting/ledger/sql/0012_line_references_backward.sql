-- Migration vesting 0012_line_references, backward: the triggers go (the migration puts
-- the foreign keys back).

DROP TRIGGER vesting_line_referenced_run ON vesting_vestingrun;
DROP TRIGGER vesting_line_referenced_run_lock ON vesting_vestingrun;
DROP TRIGGER vesting_line_referenced_employee ON accounts_employee;
DROP TRIGGER vesting_line_referenced_employee_lock ON accounts_employee;
DROP FUNCTION vesting_line_referenced();
DROP FUNCTION vesting_line_referenced_lock();
DROP TRIGGER vesting_line_references_update ON vesting_vestingline;
DROP TRIGGER vesting_line_references_insert ON vesting_vestingline;
DROP FUNCTION vesting_line_references();
