"""Cohorts larger than one machine: classification, cohort studies and perfusion on Dask.

Nothing here is imported by the single-machine commands; the modules import Dask only when a
cluster is used, so that ``pseudoprog classify`` without ``--scheduler`` never loads it.

* :mod:`pseudoprog.scale.partition`: cutting a cohort into partitions that never split a
  patient;
* :mod:`pseudoprog.scale.cluster`: a local cluster or a running scheduler, as one client;
* :mod:`pseudoprog.scale.classify`: ``classify --scheduler``, the single-machine functions
  on partitions;
* :mod:`pseudoprog.scale.study`: cohort analyses from per-partition aggregates of Parquet
  results;
* :mod:`pseudoprog.scale.perfusion`: ``perfusion batch``, one DCE fit per visit.
"""
