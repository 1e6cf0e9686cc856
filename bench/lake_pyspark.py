"""PySpark reads shopflow's lake as a notebook would (spark.read.parquet over the Hive layout) and
must get the December file's reference figures; the same query through `shopflow sql` runs beside
it for a time ratio. Prints both figures and both times.  usage: lake_pyspark.py SHOPFLOW DATA_DIR"""

import json
import subprocess
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

shopflow, data = sys.argv[1], sys.argv[2]
spark = (SparkSession.builder.master("local[2]").appName("shopflow-lake").config("spark.driver.memory", "1g")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
lake = f"{data}/lake"

started = time.time()
tx = spark.read.parquet(f"{lake}/transactions")
row = tx.agg(F.count("*").alias("n"), F.sum("amount").alias("revenue")).collect()[0]
cancellations = spark.read.parquet(f"{lake}/cancellations").count()
by_month = tx.groupBy("year", "month").count().orderBy("year", "month").collect()
spark_s = time.time() - started

started = time.time()
out = subprocess.run([shopflow, "sql", "SELECT count(*) AS n, CAST(sum(amount) AS VARCHAR) AS revenue FROM lake.transactions", "--data", data,
                      "--format", "json"], check=True, capture_output=True, text=True).stdout
duck_s = time.time() - started
duck = json.loads(out)[0]

print(f"spark : {row['n']} transactions, revenue {row['revenue']}, {cancellations} cancellations, "
      f"months {[(r['year'], r['month'], r['count']) for r in by_month]}, {spark_s:.2f} s")
print(f"duckdb: {duck['n']} transactions, revenue {duck['revenue']}, {duck_s:.2f} s (shopflow sql over lake.*)")
ok = row["n"] == 41480 and str(row["revenue"]) == "823746.140" and cancellations == 728 and duck["n"] == row["n"]
print(f"spark / shopflow sql time: {spark_s / duck_s:.1f}x; figures {'match CONTRACT.md' if ok else 'DIFFER from CONTRACT.md'}")
spark.stop()
sys.exit(0 if ok else 1)
