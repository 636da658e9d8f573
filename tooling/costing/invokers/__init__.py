"""Per target (tooling/targets.py, Target.invoker): import the real deployed module and call one role
the way its platform does.

Each module has `load(role)` (the call, run in the measuring worker), `environment(role, services)`
(the target's settings, pointed at loopback) and, when the target needs a stand-in of its own,
`start_services(stack)` (entered once around every measurement, its URLs merged into `services`).
"""
