package dev.audiencesegmenter.segments;

/** Great-circle distance on a sphere of the Earth's mean radius (6,371.0088 km, IUGG). */
final class Haversine {
  static final double EARTH_RADIUS_KM = 6371.0088;

  private Haversine() {}

  /** Distance in km between two points given in decimal degrees. */
  static double km(double lat1, double lon1, double lat2, double lon2) {
    double phi1 = Math.toRadians(lat1);
    double phi2 = Math.toRadians(lat2);
    double dPhi = phi2 - phi1;
    double dLambda = Math.toRadians(lon2 - lon1);
    double h = Math.pow(Math.sin(dPhi / 2), 2)
        + Math.cos(phi1) * Math.cos(phi2) * Math.pow(Math.sin(dLambda / 2), 2);
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
  }
}
