"""Azure Functions: Event Grid CloudEvents <-> Botless CloudEvents, the Event Grid publisher.

`azure.functions` is imported by the FunctionApp module only, and `azure.eventgrid`
on the first publish; no other target imports either.
"""
