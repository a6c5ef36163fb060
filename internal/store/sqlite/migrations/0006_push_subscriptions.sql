-- Web Push subscriptions (issue 11): filled in by its feature.
SELECT 1;
