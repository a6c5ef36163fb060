-- Attachments (issue 10): filled in by its feature.
SELECT 1;
