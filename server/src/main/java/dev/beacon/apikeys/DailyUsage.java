package dev.beacon.apikeys;

/** How many authenticated requests one API key made on one UTC day ({@code 2026-11-22}). */
public record DailyUsage(String day, long requests) {
}
