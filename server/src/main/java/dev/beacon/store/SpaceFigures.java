package dev.beacon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How big the database is, read cheaply enough for a metrics gauge: never a {@code COUNT(*)}. NaN stands for a
 * figure the database does not know. Immutable.
 *
 * @param sizeBytes SQLite: page_count × page_size; PostgreSQL: {@code pg_database_size}
 * @param freeBytes SQLite: the free pages (freelist_count × page_size), which {@link SqliteSpace#reclaim} gives back;
 *                  NaN on PostgreSQL
 * @param rowEstimates per table: PostgreSQL's planner estimate ({@code pg_class.reltuples}, NaN before the table was
 *                     first analyzed); on SQLite the rowid span, max(rowid) − min(rowid) + 1, an upper bound that
 *                     stays close while rows are deleted oldest first
 */
public record SpaceFigures(double sizeBytes, double freeBytes, Map<String, Double> rowEstimates) {
    private static final Pattern TABLE = Pattern.compile("[a-z_]+");

    public SpaceFigures {
        rowEstimates = Map.copyOf(rowEstimates);
    }

    /** Reads the figures, with row estimates for {@code tables} (plain lower-case table names). Any thread. */
    public static SpaceFigures read(Database db, List<String> tables) {
        for (String table : tables) {
            if (!TABLE.matcher(table).matches()) {
                throw new IllegalArgumentException("not a table name: " + table);
            }
        }
        return db.read(tx -> db.dialect() == Dialect.SQLITE ? sqlite(tx.connection(), tables) : postgres(tx.connection(), tables));
    }

    private static SpaceFigures sqlite(Connection connection, List<String> tables) throws SQLException {
        Map<String, Double> rows = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement()) {
            long pageSize = SqliteSpace.pragma(statement, "page_size");
            double size = (double) SqliteSpace.pragma(statement, "page_count") * pageSize;
            double free = (double) SqliteSpace.pragma(statement, "freelist_count") * pageSize;
            for (String table : tables) {
                // Two subqueries: SQLite answers a lone min() or max() of the rowid from the b-tree's ends, not by a scan.
                try (ResultSet span = statement.executeQuery("SELECT coalesce((SELECT max(rowid) FROM " + table + ") - (SELECT min(rowid) FROM "
                        + table + ") + 1, 0)")) {
                    rows.put(table, span.next() ? span.getDouble(1) : Double.NaN);
                }
            }
            return new SpaceFigures(size, free, rows);
        }
    }

    private static SpaceFigures postgres(Connection connection, List<String> tables) throws SQLException {
        Map<String, Double> rows = new LinkedHashMap<>();
        double size;
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT pg_database_size(current_database())")) {
            size = result.next() ? result.getDouble(1) : Double.NaN;
        }
        try (PreparedStatement estimate = connection.prepareStatement("SELECT c.reltuples FROM pg_class c JOIN pg_namespace n "
                + "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ?")) {
            for (String table : tables) {
                estimate.setString(1, table);
                try (ResultSet result = estimate.executeQuery()) {
                    double tuples = result.next() ? result.getDouble(1) : Double.NaN;
                    rows.put(table, tuples < 0 ? Double.NaN : tuples); // -1: never vacuumed or analyzed (PostgreSQL 14+)
                }
            }
        }
        return new SpaceFigures(size, Double.NaN, rows);
    }
}
