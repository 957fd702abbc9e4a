-- PostgreSQL keeps the figures' dates in `date` and `timestamptz` columns, so its part of this
-- release's change is the index: the figures' unique columns are named quarter first, (board,
-- quarter, indicator, area), the same rule, and that index now serves what the separate index
-- on (board, quarter) did (the digest reads a board's figures for a range of quarters), so that
-- index goes. Files list figures quarter by quarter, so new figures land at the end of the
-- index instead of all over it. (On SQLite the same migration also moves the date checks from
-- triggers to CHECK constraints.)
ALTER TABLE indicator_figures
    DROP CONSTRAINT indicator_figures_board_id_indicator_id_area_key_period_key;
ALTER TABLE indicator_figures
    ADD CONSTRAINT indicator_figures_one_per_quarter UNIQUE (board_id, period, indicator_id, area_key);
DROP INDEX indicator_figures_by_period;
