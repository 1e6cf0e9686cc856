// The PostgreSQL JDBC driver (pgjdbc: DBeaver's, Metabase's and Tableau's) against pgwire:
// DatabaseMetaData.getTables and getColumns, a parameterised query, and a list read as an array. Prints what it checked;
// exits 1 on the first thing that is not as expected.
// usage: java -cp postgresql.jar JdbcCheck.java PORT USER PASSWORD
import java.sql.*;
import java.util.*;

public class JdbcCheck {
  static void expect(boolean ok, String what) {
    if (!ok) {
      System.err.println("FAILED: " + what);
      System.exit(1);
    }
    System.out.println("ok: " + what);
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/shopflow?sslmode=disable&connectTimeout=10";
    try (Connection con = DriverManager.getConnection(url, args[1], args[2])) {
      DatabaseMetaData md = con.getMetaData();
      expect(md.getDatabaseProductName().equals("PostgreSQL"), "product name " + md.getDatabaseProductName());
      expect(md.getDatabaseMajorVersion() == 15, "major version " + md.getDatabaseMajorVersion());

      Map<String, String> tables = new TreeMap<>();
      try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE", "VIEW"})) {
        while (rs.next()) tables.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
      }
      expect("TABLE".equals(tables.get("transactions")), "getTables: transactions is a TABLE (" + tables + ")");
      expect("VIEW".equals(tables.get("daily_sales")), "getTables: daily_sales is a VIEW");

      Map<String, Integer> columns = new LinkedHashMap<>();
      try (ResultSet rs = md.getColumns(null, null, "transactions", "%")) {
        while (rs.next()) columns.put(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"));
      }
      expect(columns.size() == 11, "getColumns: 11 columns of transactions (" + columns + ")");
      expect(columns.get("invoice_no") == Types.VARCHAR, "getColumns: invoice_no is VARCHAR");
      expect(columns.get("amount") == Types.NUMERIC, "getColumns: amount is NUMERIC");
      expect(columns.get("invoice_date") == Types.TIMESTAMP, "getColumns: invoice_date is TIMESTAMP");

      try (PreparedStatement ps = con.prepareStatement(
               "SELECT count(*) AS n, sum(amount) AS revenue FROM transactions WHERE country = ? AND quantity >= ?")) {
        ps.setString(1, "France");
        ps.setInt(2, 1);
        try (ResultSet rs = ps.executeQuery()) {
          expect(rs.next(), "a parameterised query answers a row");
          expect(rs.getLong("n") == 434, "France has 434 transaction lines (" + rs.getLong("n") + ")");
          expect(rs.getBigDecimal("revenue").compareTo(new java.math.BigDecimal("9616.310")) == 0,
                 "France's revenue is 9616.310 (" + rs.getBigDecimal("revenue") + ")");
        }
      }

      // A list is a text[] array; an unnamed aggregate is named as PostgreSQL names it.
      try (Statement st = con.createStatement();
           ResultSet rs = st.executeQuery("SELECT list(DISTINCT country ORDER BY country), count(*) FROM transactions WHERE country IN ('EIRE', 'France')")) {
        expect(rs.next(), "a list query answers a row");
        String[] countries = (String[]) rs.getArray(1).getArray();
        expect(Arrays.equals(countries, new String[] {"EIRE", "France"}), "getArray: " + Arrays.toString(countries));
        expect(rs.getMetaData().getColumnName(2).equals("count"), "column name " + rs.getMetaData().getColumnName(2));
      }
    }
  }
}
