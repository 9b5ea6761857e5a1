-- Migration staywell 0004_access_log, backward.
DROP TRIGGER IF EXISTS staywell_accessrecord_append_only ON staywell_accessrecord;
DROP FUNCTION IF EXISTS staywell_access_log_append_only();
