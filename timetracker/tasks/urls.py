from django.urls import path

from timetracker.tasks.views import logs, manual, tasks, team, timer

app_name = "tasks"

urlpatterns = [
    path("logs/", logs.log_list, name="log_list"),
    path("logs/bulk/", logs.log_bulk, name="log_bulk"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
    path("tasks/<int:pk>/continue/", tasks.task_continue, name="task_continue"),
    path("tasks/<int:pk>/favourite/", tasks.task_favourite, name="task_favourite"),
    path("tasks/<int:pk>/notes/", tasks.note_add, name="note_add"),
    path("timer/", timer.timer_panel, name="timer_panel"),
    path("timer/new/", timer.timer_new, name="timer_new"),
    path("timer/fields/", timer.timer_fields, name="timer_fields"),
    path("timer/header/", timer.timer_header, name="timer_header"),
    path("timer/<int:pk>/pause/", timer.timer_pause, name="timer_pause"),
    path("timer/<int:pk>/resume/", timer.timer_resume, name="timer_resume"),
    path("timer/<int:pk>/stop/", timer.timer_stop, name="timer_stop"),
    path("timer/<int:pk>/stop-review/", timer.timer_stop_review, name="timer_stop_review"),
    path("entries/<int:pk>/review/", timer.entry_review, name="entry_review"),
    path("timer/<int:pk>/discard/", timer.timer_discard, name="timer_discard"),
    path("time/add/", manual.entry_add, name="entry_add"),
    path("timesheet/", manual.timesheet_week, name="timesheet"),
    path("team/", team.team_week, name="team_week"),
    path("timesheet/cell/", manual.timesheet_cell, name="timesheet_cell"),
]
