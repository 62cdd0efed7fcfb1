package dev.beacon.dashboard;

/**
 * The dashboard's assets as templates name them: {@code ${Assets.url("beacon.css")}} gives
 * {@code /assets/beacon.<hash>.css}, a URL browsers may cache for ever because it changes with the file. The catalog is
 * read from the class path once, when this class is first used (the server touches it at start, so a missing folder
 * stops the start). Thread-safe.
 */
public final class Assets {
    /** Where the files are on the class path; any file put there is served, no list to keep. */
    public static final String FOLDER = "/dashboard/assets";
    private static final AssetCatalog CATALOG = AssetCatalog.fromClassPath(FOLDER);

    private Assets() {
    }

    /** The catalog of every asset, read at start. */
    public static AssetCatalog catalog() {
        return CATALOG;
    }

    /** The URL with the content hash of the asset {@code name}; throws when there is no such file. */
    public static String url(String name) {
        return "/assets/" + CATALOG.get(name).hashedName();
    }
}
