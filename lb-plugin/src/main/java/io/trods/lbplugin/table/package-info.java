/**
 * The balancer table as pure data: {@link io.trods.lbplugin.table.BalancerTable} (virtual services
 * keyed by VIP:port, their scheduler, forwarding and weighted backends) built from a
 * {@link io.trods.control.DesiredState}, and {@link io.trods.lbplugin.table.TableDiff}, the minimal
 * ordered {@link io.trods.lbplugin.table.TableOp}s between two tables as IPVS would need them.
 * {@link io.trods.lbplugin.table.TableEditor} applies operations with the kernel's refusals
 * (EEXIST, ENOENT), for diff checks and the tests' fake kernel. No I/O here.
 */
package io.trods.lbplugin.table;
