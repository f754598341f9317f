"""Alerts wing: the rule engine, flagging (rules run on scored tokens), the WatchAlerts hub
and Prometheus alerting rules generated from monitor.yaml."""
