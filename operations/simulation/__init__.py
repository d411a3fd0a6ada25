"""The store simulator: Amazon's side of a store played against a running jwo-admin over HTTP.

``config`` (what to simulate; the carts, drawn without the database), ``cast`` (the run's
shoppers, their tokens and a connector key), ``driver`` (the journeys over HTTP), ``checks`` (the
invariants and an independent recomputation of every total), ``services`` (a whole run, kept as a
``SimulationRun``).
"""
